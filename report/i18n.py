"""Every word the report shows, in English and Brazilian Portuguese: the one place to translate."""

from __future__ import annotations

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
    # checks a run did not evaluate (tasks/applicability.py gives the reasons)
    "not_checked_title": ("Not checked in this run", "Não verificadas nesta execução"),
    "not_checked_note": (
        "These checks found nothing because they could not be judged; their open exceptions stay as they were.",
        "Estas verificações não acharam nada porque não puderam ser avaliadas; suas exceções abertas "
        "ficam como estavam.",
    ),
    "not_checked": ("{check}: not checked: {reason}", "{check}: não verificada: {reason}"),
    "reason_disabled": ("disabled in settings", "desativada nas configurações"),
    "reason_no_feed": ("no {table} feed", "sem o feed {table}"),
    "reason_empty_column": ("{column} is empty in every row", "{column} vazia em todas as linhas"),
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

class Translator:
    """Words in one language; an unknown label (a check added later) shows as its id."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
        self.language = language
        self._index = LANGUAGES.index(language)

    def __call__(self, message_id: str, **values: object) -> str:
        return MESSAGES[message_id][self._index].format(**values)

    def label(self, value: str) -> str:
        names = LABELS.get(value)
        return names[self._index] if names else value

    def reason(self, text: str) -> str:
        """A not-evaluated reason (tasks/applicability.py), in this language; unknown wording stays as is."""
        parts = []
        for part in text.split("; "):
            if part == "disabled in settings":
                parts.append(self("reason_disabled"))
            elif part.startswith("no ") and part.endswith(" feed"):
                parts.append(self("reason_no_feed", table=part[3:-5]))
            elif part.endswith(" is empty in every row"):
                parts.append(self("reason_empty_column", column=part.removesuffix(" is empty in every row")))
            else:
                parts.append(part)
        return "; ".join(parts)

    def templates(self, *message_ids: str) -> dict[str, str]:
        """Messages with their {placeholders} left in, for the page's script to fill."""
        return {message_id: MESSAGES[message_id][self._index] for message_id in message_ids}
