"""Every word the report shows, in English and Brazilian Portuguese: the one place to translate."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

LANGUAGES = ("en", "pt-BR")

# message id -> (English, Brazilian Portuguese); {name} placeholders are filled by Translator.
MESSAGES: dict[str, tuple[str, str]] = {
    "title": ("Exception report", "Relatório de exceções"),
    "as_of": ("As of {when}", "Posição em {when}"),
    "times_in": ("times in {zone}", "horários em {zone}"),
    "run": ("run {run}", "execução {run}"),
    "generated": ("generated {when}", "gerado em {when}"),
    "data_docs": ("Validation results", "Resultados de validação"),
    "run_validations": ("This run's validations by stage:", "Validações desta execução por etapa:"),
    "past_window": (
        "This report is for a past window: everything on it is as published at {when}.",
        "Este relatório é de uma janela passada: tudo nele está como foi publicado em {when}.",
    ),
    # headline
    "open": ("Open exceptions", "Exceções abertas"),
    "open_delta": ("{delta} since the last run", "{delta} desde a última execução"),
    "acknowledged_count": ("{count} being handled", "{count} em tratamento"),
    "new": ("New since the last run", "Novas desde a última execução"),
    "reopened_count": ("incl. {count} reopened", "incl. {count} reabertas"),
    "escalated_count": ("{count} escalated", "{count} escaladas"),
    "resolved": ("Resolved", "Resolvidas"),
    "resolved_note": ("since the last run", "desde a última execução"),
    "money_at_risk": ("Money at risk", "Valor em risco"),
    "money_note": ("in open exceptions", "nas exceções abertas"),
    "money_once_note": ("each order counted once", "cada pedido contado uma vez"),
    "money_overlap_note": (
        "An order that fails several checks counts in each of them here, so these amounts can add up to "
        "more than the money at risk at the top, which counts each order once.",
        "Um pedido que falha em várias verificações conta em cada uma delas aqui, então estes valores podem "
        "somar mais que o valor em risco no topo, que conta cada pedido uma vez.",
    ),
    "on_time_shipment": ("On-time shipment", "Envio no prazo"),
    "on_time_delivery": ("On-time delivery", "Entrega no prazo"),
    "rate_note": (
        "{on_time} of {due} orders due in the last 7 days", "{on_time} de {due} pedidos com prazo nos últimos 7 dias"
    ),
    "no_orders_due": ("no orders due in the last 7 days", "nenhum pedido com prazo nos últimos 7 dias"),
    "not_available": ("n/a", "n/d"),
    # checks a run did not evaluate (tasks/check_reasons.py words the reasons)
    "not_checked_title": ("Not checked in this run", "Não verificadas nesta execução"),
    "not_checked_note": (
        "These checks found nothing because they could not be judged; their open exceptions stay as they were.",
        "Estas verificações não acharam nada porque não puderam ser avaliadas; suas exceções abertas "
        "ficam como estavam.",
    ),
    "not_checked": ("{check}: not checked: {reason}", "{check}: não verificada: {reason}"),
    # sections
    "where": ("Where the exceptions are", "Onde estão as exceções"),
    "by_stage": ("Open by stage and severity", "Abertas por etapa e severidade"),
    "stage": ("Stage", "Etapa"),
    "total": ("Total", "Total"),
    "aging": ("Age of open exceptions", "Idade das exceções abertas"),
    "aging_note": ("business hours since the exception opened", "horas úteis desde a abertura da exceção"),
    "trends": ("Trend", "Tendência"),
    "trend_24h": ("Open exceptions, last 24 hours", "Exceções abertas, últimas 24 horas"),
    "trend_7d": ("Open exceptions, last 7 days", "Exceções abertas, últimos 7 dias"),
    "trend_24h_note": (
        "{new} new and {resolved} resolved in 24 hours", "{new} novas e {resolved} resolvidas em 24 horas"
    ),
    "trend_7d_note": ("{new} new and {resolved} resolved in 7 days", "{new} novas e {resolved} resolvidas em 7 dias"),
    "trend_empty": ("Not enough runs yet to draw a trend.", "Ainda não há execuções suficientes para a tendência."),
    "offenders": ("Worst offenders", "Maiores ofensores"),
    "offenders_sku": ("SKUs", "SKUs"),
    "offenders_warehouse": ("Warehouses", "Centros de distribuição"),
    "offenders_carrier": ("Carriers", "Transportadoras"),
    "offenders_owner": ("Owners", "Responsáveis"),
    "offenders_note": (
        "Open exceptions that involve each one: named in the evidence, or through the order's "
        "lines and shipments. One exception can involve several.",
        "Exceções abertas que envolvem cada um: citado na evidência, ou pelos itens e remessas do "
        "pedido. Uma exceção pode envolver vários.",
    ),
    "name": ("Name", "Nome"),
    "exceptions": ("Exceptions", "Exceções"),
    "none_found": ("None.", "Nenhum."),
    "open_list": ("Open exceptions", "Exceções abertas"),
    "all_stages": ("All stages", "Todas as etapas"),
    "all_owners": ("All owners", "Todos os responsáveis"),
    "all_severities": ("All severities", "Todas as severidades"),
    "search": ("Search entity or evidence", "Buscar entidade ou evidência"),
    "showing": ("{shown} of {total} shown", "{shown} de {total} exibidas"),
    "download_csv": ("Download CSV", "Baixar CSV"),
    "severity": ("Severity", "Severidade"),
    "check": ("Check", "Verificação"),
    "entity": ("Entity", "Entidade"),
    "owner": ("Owner", "Responsável"),
    "status": ("Status", "Situação"),
    "opened": ("Opened", "Aberta em"),
    "age": ("Age (business h)", "Idade (h úteis)"),
    "amount": ("At risk", "Em risco"),
    "evidence": ("Evidence", "Evidência"),
    "yes": ("yes", "sim"),
    "no": ("no", "não"),
    # what changed (report/templates/changes.html.j2)
    "changes": ("What changed", "O que mudou"),
    "changes_note": (
        "Open exceptions and money at risk now, and the change against earlier runs; what got worse comes first.",
        "Exceções abertas e valor em risco agora, e a variação em relação a execuções anteriores; "
        "o que piorou vem primeiro.",
    ),
    "changes_by_stage": ("By stage", "Por etapa"),
    "changes_by_check": ("By check", "Por verificação"),
    "changes_by_owner": ("By owner", "Por responsável"),
    "now": ("Now", "Agora"),
    "since_last_run": ("Since the last run", "Desde a última execução"),
    "since_yesterday": ("Since yesterday", "Desde ontem"),
    "since_last_week": ("Since last week", "Desde a semana passada"),
    "compared_with": ("run of {when}", "execução de {when}"),
    "no_run_to_compare": ("no run to compare with", "nenhuma execução para comparar"),
    "history_7d": ("Open, last 7 days", "Abertas, últimos 7 dias"),
    "history_point": ("{when}: {count} open", "{when}: {count} abertas"),
    "no_changes": ("Nothing open now or in the runs compared.", "Nada aberto agora nem nas execuções comparadas."),
    # the list's paging, detail and filters (report/static/report.js)
    "show_more": ("Show {count} more", "Mostrar mais {count}"),
    "detail": ("Details", "Detalhes"),
    "lifecycle": ("History", "Histórico"),
    "exception_id": ("Exception id", "Id da exceção"),
    "filtered_by": ("Only {name}", "Somente {name}"),
    "clear_filter": ("Clear", "Limpar"),
    "exact_value": ("Exact figure", "Valor exato"),
    "sort_by": ("Sort by", "Ordenar por"),
    "loading": ("Loading the list…", "Carregando a lista…"),
    "event_new": ("opened", "aberta"),
    "event_reopened": ("reopened", "reaberta"),
    "event_escalated": ("escalated to {severity}", "escalada para {severity}"),
    "event_resolved": ("resolved", "resolvida"),
    "event_returned": ("acknowledgement lifted", "tratamento encerrado"),
    "event_acknowledge": ("acknowledged by {actor}", "em tratamento por {actor}"),
    "event_snooze": ("snoozed by {actor}", "adiada por {actor}"),
    "footer": (
        "Retaguarda reconciles orders, stock and carrier feeds every hour. Ages are business hours "
        "in the configured calendar; money is shown in {currency}.",
        "O Retaguarda concilia pedidos, estoque e transportadoras a cada hora. Idades em horas úteis "
        "do calendário configurado; valores em {currency}.",
    ),
}

# Names of the catalog's values: stage, severity, status, entity and check ids.
LABELS: dict[str, tuple[str, str]] = {
    "order_capture": ("Order capture", "Captura do pedido"),
    "payment": ("Payment", "Pagamento"),
    "allocation": ("Allocation", "Alocação"),
    "picking_packing": ("Picking and packing", "Separação e embalagem"),
    "handover": ("Handover", "Coleta"),
    "in_transit": ("In transit", "Em trânsito"),
    "delivery": ("Delivery", "Entrega"),
    "returns": ("Returns", "Devoluções"),
    "carrier_billing": ("Carrier billing", "Faturamento de frete"),
    "critical": ("Critical", "Crítica"),
    "high": ("High", "Alta"),
    "medium": ("Medium", "Média"),
    "low": ("Low", "Baixa"),
    "open": ("Open", "Aberta"),
    "acknowledged": ("Being handled", "Em tratamento"),
    "reopened": ("Reopened", "Reaberta"),
    "resolved": ("Resolved", "Resolvida"),
    "order": ("Order", "Pedido"),
    "order_line": ("Order line", "Item do pedido"),
    "shipment": ("Shipment", "Remessa"),
    "stock_position": ("Stock position", "Posição de estoque"),
    "tracking_number": ("Tracking number", "Código de rastreio"),
    "invoice": ("Invoice", "Fatura"),
    "order_fields_valid": ("Invalid order fields", "Campos do pedido inválidos"),
    "order_total_mismatch": ("Order total mismatch", "Total do pedido divergente"),
    "unknown_sku": ("Unknown SKU", "SKU desconhecido"),
    "order_inputs_quarantined": ("Order inputs quarantined", "Dados do pedido em quarentena"),
    "paid_amount_mismatch": ("Paid amount mismatch", "Valor pago divergente"),
    "awaiting_payment_too_long": ("Awaiting payment too long", "Aguardando pagamento há muito tempo"),
    "cancelled_not_refunded": ("Cancelled, not refunded", "Cancelado sem reembolso"),
    "not_allocated_in_sla": ("Not allocated in SLA", "Não alocado no prazo"),
    "oversold": ("Oversold", "Vendido além do estoque"),
    "stock_drift": ("Stock drift", "Divergência de estoque"),
    "stockout_risk": ("Stockout risk", "Risco de ruptura"),
    "late_shipment": ("Late shipment", "Envio atrasado"),
    "wrong_item_shipped": ("Wrong item shipped", "Item errado enviado"),
    "shipped_cancelled_order": ("Cancelled order shipped", "Pedido cancelado enviado"),
    "no_first_scan": ("No first carrier scan", "Sem primeira leitura da transportadora"),
    "unknown_tracking_number": ("Unknown tracking number", "Código de rastreio desconhecido"),
    "duplicate_tracking_number": ("Duplicate tracking number", "Código de rastreio duplicado"),
    "stalled_in_transit": ("Stalled in transit", "Parado em trânsito"),
    "carrier_exception_open": ("Carrier exception open", "Ocorrência da transportadora aberta"),
    "late_delivery": ("Late delivery", "Entrega atrasada"),
    "delivered_not_closed": ("Delivered, order not closed", "Entregue, pedido não encerrado"),
    "impossible_timeline": ("Impossible timeline", "Linha do tempo impossível"),
    "return_not_restocked": ("Return not restocked", "Devolução não reestocada"),
    "billed_weight_mismatch": ("Billed weight mismatch", "Peso faturado divergente"),
    "charge_without_shipment": ("Charge without shipment", "Cobrança sem envio"),
}

# Why a run did not evaluate a check, by code (tasks/check_reasons.py REASON_WORDING, audit.check_runs.reasons).
REASONS: dict[str, tuple[str, str]] = {
    "disabled": ("disabled in settings", "desativada nas configurações"),
    "no_feed": ("no {table} feed", "sem o feed {table}"),
    "empty_column": ("{table}.{column} is empty in every row", "{table}.{column} vazia em todas as linhas"),
    "not_mapped": ("{table}.{column} not mapped", "{table}.{column} não mapeada"),
}

# The checks' evidence fields (the columns each check's SQL returns besides entity_id, amount_at_risk, began_at).
EVIDENCE_LABELS: dict[str, tuple[str, str]] = {
    "allocated": ("allocated", "alocado"),
    "available": ("available", "disponível"),
    "billed_weight_kg": ("billed weight kg", "peso faturado (kg)"),
    "business_hours_since_return": ("business hours since return", "horas úteis desde a devolução"),
    "business_hours_to_allocate": ("business hours to allocate", "horas úteis até alocar"),
    "business_hours_to_scan": ("business hours to scan", "horas úteis até a primeira leitura"),
    "cancelled_at": ("cancelled at", "cancelado em"),
    "captured_amount": ("captured amount", "valor capturado"),
    "carrier": ("carrier", "transportadora"),
    "carriers": ("carriers", "transportadoras"),
    "charged_amount": ("charged amount", "valor cobrado"),
    "currency": ("currency", "moeda"),
    "customer_id": ("customer id", "ID do cliente"),
    "declared_weight_kg": ("declared weight kg", "peso declarado (kg)"),
    "difference": ("difference", "diferença"),
    "discount_amount": ("discount amount", "desconto"),
    "drift_units": ("drift units", "divergência (unidades)"),
    "event_count": ("event count", "eventos da transportadora"),
    "expected_on_hand": ("expected on hand", "estoque esperado"),
    "expected_total": ("expected total", "total esperado"),
    "first_allocated_at": ("first allocated at", "primeira alocação em"),
    "first_row": ("first row", "primeira linha"),
    "first_scan_at": ("first scan at", "primeira leitura em"),
    "first_shipped_at": ("first shipped at", "primeiro envio em"),
    "hours_late": ("hours late", "horas de atraso"),
    "hours_since_delivery": ("hours since delivery", "horas desde a entrega"),
    "hours_waiting": ("hours waiting", "horas aguardando"),
    "invoiced_at": ("invoiced at", "faturado em"),
    "label_created_at": ("label created at", "etiqueta criada em"),
    "last_delivered_at": ("last delivered at", "entregue em"),
    "last_event_at": ("last event at", "último evento em"),
    "last_location": ("last location", "último local"),
    "last_refund_at": ("last refund at", "último reembolso em"),
    "last_return_movement_at": ("last return movement at", "última entrada de devolução em"),
    "last_status": ("last status", "última situação"),
    "line_count": ("line count", "quantidade de itens"),
    "line_no": ("line no", "número do item"),
    "lines_amount": ("lines amount", "valor dos itens"),
    "movements_delta": ("movements delta", "saldo das movimentações"),
    "on_hand": ("on hand", "em estoque"),
    "order_id": ("order id", "pedido"),
    "ordered_items": ("ordered items", "itens pedidos"),
    "orders": ("orders", "pedidos"),
    "paid_at": ("paid at", "pago em"),
    "placed_at": ("placed at", "realizado em"),
    "previous_on_hand": ("previous on hand", "estoque anterior"),
    "previous_snapshot_at": ("previous snapshot at", "posição anterior em"),
    "problems": ("problems", "problemas"),
    "promised_delivery_by": ("promised delivery by", "entrega prometida até"),
    "promised_ship_by": ("promised ship by", "envio prometido até"),
    "quantity": ("quantity", "quantidade"),
    "refunded_amount": ("refunded amount", "valor reembolsado"),
    "reorder_point": ("reorder point", "ponto de reposição"),
    "returned_at": ("returned at", "devolvido em"),
    "rows_quarantined": ("rows quarantined", "linhas em quarentena"),
    "service": ("service", "serviço"),
    "shipment_count": ("shipment count", "quantidade de remessas"),
    "shipment_id": ("shipment id", "remessa"),
    "shipments": ("shipments", "remessas"),
    "shipped_at": ("shipped at", "enviado em"),
    "shipped_items": ("shipped items", "itens enviados"),
    "shipping_amount": ("shipping amount", "frete"),
    "sku": ("sku", "SKU"),
    "snapshot_at": ("snapshot at", "posição em"),
    "split_parcels": ("split parcels", "volumes separados"),
    "split_shipments": ("split shipments", "remessas separadas"),
    "status": ("status", "situação"),
    "total_amount": ("total amount", "valor total"),
    "tracking_number": ("tracking number", "código de rastreio"),
    "tracking_well_formed": ("tracking well formed", "código de rastreio bem formado"),
    "unit_price": ("unit price", "preço unitário"),
    "units_short": ("units short", "unidades faltantes"),
    "warehouse_id": ("warehouse id", "centro de distribuição"),
    "warehouses": ("warehouses", "centros de distribuição"),
    "working_days_silent": ("working days silent", "dias úteis sem evento"),
}

# Evidence values the checks' SQL writes as text: the canonical statuses (sources/canonical.py) and
# quarantine reasons (sources/problems.py).
VALUE_LABELS: dict[str, tuple[str, str]] = {
    # orders.status
    "pending_payment": ("pending_payment", "aguardando pagamento"),
    "paid": ("paid", "pago"),
    "partially_shipped": ("partially_shipped", "enviado parcialmente"),
    "shipped": ("shipped", "enviado"),
    "delivered": ("delivered", "entregue"),
    "closed": ("closed", "encerrado"),
    "cancelled": ("cancelled", "cancelado"),
    "returned": ("returned", "devolvido"),
    # tracking_events.status
    "label_created": ("label_created", "etiqueta criada"),
    "picked_up": ("picked_up", "coletado"),
    "in_transit": ("in_transit", "em trânsito"),
    "out_for_delivery": ("out_for_delivery", "saiu para entrega"),
    "failed_attempt": ("failed_attempt", "tentativa sem sucesso"),
    "exception": ("exception", "ocorrência"),
    "returned_to_sender": ("returned_to_sender", "devolvido ao remetente"),
    # raw.quarantine.reason
    "unreadable_file": ("unreadable_file", "arquivo ilegível"),
    "malformed_row": ("malformed_row", "linha malformada"),
    "truncated_row": ("truncated_row", "linha truncada"),
    "missing_column": ("missing_column", "coluna ausente"),
    "missing_required": ("missing_required", "campo obrigatório vazio"),
    "wrong_type": ("wrong_type", "tipo inválido"),
    "unknown_value": ("unknown_value", "valor desconhecido"),
    "duplicate_conflict": ("duplicate_conflict", "duplicata conflitante"),
}

# Phrases the checks' SQL writes into evidence text (warehouse/core/order_capture.sql, order_delivery.sql,
# expectations/sql/order_inputs_quarantined.sql); several are joined by "; ". {field} is a column, shown by its
# evidence label; {value} stays as written; {table} {reason} is a quarantined input and why.
EVIDENCE_PHRASES: dict[str, tuple[str, str]] = {
    "missing": ("missing {field}", "{field} ausente"),
    "negative": ("negative {field}", "{field} negativo"),
    "unknown_currency": ("unknown currency {value}", "moeda desconhecida {value}"),
    "placed_in_future": ("placed_at in the future", "data do pedido no futuro"),
    "delivered_before_shipped": ("delivered before shipped", "entregue antes de enviado"),
    "shipped_before_paid": ("shipped before paid", "enviado antes de pago"),
    "paid_before_placed": ("paid before placed", "pago antes de realizado"),
    "file_row": ("{value} row {number}", "{value} linha {number}"),
    "quarantined": ("{table} {reason}", "{table}: {reason}"),
}


def _phrase_pattern(english: str) -> re.Pattern:
    """An English phrase as a regular expression: each {placeholder} captures a value."""
    pattern = re.escape(english)
    for name, capture in (("field", r"(?P<field>[a-z_]+)"), ("table", r"(?P<table>[a-z_]+)"),
                          ("reason", r"(?P<reason>[a-z_]+)"), ("number", r"(?P<number>\d+)"),
                          ("value", r"(?P<value>.+)")):
        pattern = pattern.replace(re.escape("{" + name + "}"), capture)
    return re.compile(pattern)


STATUS_FIELDS = ("status", "last_status")  # hold a canonical status
PHRASE_FIELDS = ("problems", "first_row")  # hold EVIDENCE_PHRASES
_PHRASES = [(key, _phrase_pattern(english)) for key, (english, _) in EVIDENCE_PHRASES.items()]


class Translator:
    """Words in one language; an unknown label (a check added later) shows as its id."""

    def __init__(self, language: str, owner_names: Mapping[str, str] | None = None) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
        self.language = language
        self._index = LANGUAGES.index(language)
        self._owners = dict(owner_names or {})

    def __call__(self, message_id: str, **values: object) -> str:
        return MESSAGES[message_id][self._index].format(**values)

    def label(self, value: str) -> str:
        names = LABELS.get(value)
        return names[self._index] if names else value

    def owner(self, owner: str) -> str:
        """A team's name from the settings (report.owner_names); its id when the settings name none."""
        return self._owners.get(owner, owner)

    def reason(self, reasons: Iterable[Mapping[str, str | None]] | None) -> str:
        """Why a check was not evaluated, from its codes (audit.check_runs.reasons), in this language."""
        parts = []
        for reason in reasons or ():
            words = REASONS.get(reason["code"] or "")
            values = {"table": reason.get("table_name"), "column": reason.get("column_name")}
            parts.append(words[self._index].format(**values) if words else str(reason["code"]))
        return "; ".join(parts)

    def field(self, name: str) -> str:
        """An evidence field's label; an unknown one (a check added later) reads as its words."""
        names = EVIDENCE_LABELS.get(name)
        return names[self._index] if names else name.replace("_", " ")

    def value(self, field: str, text: str) -> str:
        """Evidence text of `field` in this language: a status, or the checks' phrases; data stays as written."""
        if field in STATUS_FIELDS:
            return VALUE_LABELS[text][self._index] if text in VALUE_LABELS else text
        if field in PHRASE_FIELDS:
            return "; ".join(self._phrase(part) for part in text.split("; "))
        return text

    def _phrase(self, text: str) -> str:
        for key, pattern in _PHRASES:
            found = pattern.fullmatch(text)
            if found is None:
                continue
            values = found.groupdict()
            if "field" in values:
                values["field"] = self.field(values["field"])
            if "reason" in values:
                if values["reason"] not in VALUE_LABELS:
                    continue
                values["reason"] = VALUE_LABELS[values["reason"]][self._index]
            return EVIDENCE_PHRASES[key][self._index].format(**values)
        return text

    def templates(self, *message_ids: str) -> dict[str, str]:
        """Messages with their {placeholders} left in, for the page's script to fill."""
        return {message_id: MESSAGES[message_id][self._index] for message_id in message_ids}
