"""The static world: catalog, warehouses, destinations, carriers, tracking numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True, slots=True)
class Sku:
    sku: str
    description: str
    family: int
    weight_g: int
    price: int  # cents, BRL
    reorder_point: int


@dataclass(frozen=True, slots=True)
class State:
    uf: str
    weight: int  # share of orders
    cep_low: int
    cep_high: int
    city: str
    warehouse: str


# warehouse -> (state, site where parcels are handed over, carrier hub nearby)
WAREHOUSES = {
    "WH-SP": ("SP", "Cajamar/SP", "São Paulo/SP"),
    "WH-MG": ("MG", "Contagem/MG", "Belo Horizonte/MG"),
    "WH-PR": ("PR", "São José dos Pinhais/PR", "Curitiba/PR"),
}

STATES = [
    State("SP", 34, 1000, 19999, "São Paulo/SP", "WH-SP"),
    State("RJ", 12, 20000, 28999, "Rio de Janeiro/RJ", "WH-MG"),
    State("MG", 11, 30000, 39999, "Belo Horizonte/MG", "WH-MG"),
    State("ES", 2, 29000, 29999, "Vitória/ES", "WH-MG"),
    State("BA", 5, 40000, 48999, "Salvador/BA", "WH-MG"),
    State("PE", 4, 50000, 56999, "Recife/PE", "WH-MG"),
    State("CE", 3, 60000, 63999, "Fortaleza/CE", "WH-MG"),
    State("PR", 7, 80000, 87999, "Curitiba/PR", "WH-PR"),
    State("SC", 5, 88000, 89999, "Florianópolis/SC", "WH-PR"),
    State("RS", 6, 90000, 99999, "Porto Alegre/RS", "WH-PR"),
    State("MS", 1, 79000, 79999, "Campo Grande/MS", "WH-PR"),
    State("DF", 3, 70000, 72799, "Brasília/DF", "WH-SP"),
    State("GO", 3, 72800, 76799, "Goiânia/GO", "WH-SP"),
    State("PA", 2, 66000, 68899, "Belém/PA", "WH-SP"),
    State("AM", 1, 69000, 69299, "Manaus/AM", "WH-SP"),
]

CARRIERS = ("correios", "jadlog", "loggi")
LOGGI_STATES = {"SP", "RJ", "MG", "PR"}  # loggi only covers the big metro areas

FAMILIES = [
    ("Camiseta algodão", 180, 5990, ["P", "M", "G", "GG", "XG"]),
    ("Caneca cerâmica 350 ml", 380, 3990, ["branca", "azul", "verde", "preta", "vermelha"]),
    ("Garrafa térmica 500 ml", 420, 8990, ["inox", "preta", "azul", "rosa", "verde"]),
    ("Mochila urbana 20 L", 850, 19900, ["preta", "cinza", "azul", "verde", "vinho"]),
    ("Fone bluetooth", 210, 14990, ["preto", "branco", "azul", "rosa", "grafite"]),
    ("Carregador USB-C 20 W", 120, 7990, ["branco", "preto", "duplo", "veicular", "kit"]),
    ("Luminária de mesa LED", 650, 12990, ["branca", "preta", "madeira", "cobre", "articulada"]),
    ("Tapete de yoga", 1300, 11990, ["roxo", "azul", "preto", "verde", "6 mm"]),
    ("Jogo de panelas 5 peças", 3800, 39900, ["inox", "cerâmica", "antiaderente", "vermelho", "preto"]),
    ("Livro de receitas", 700, 6990, ["massas", "doces", "veganas", "rápidas", "brasileiras"]),
    ("Jogo de lençol casal", 1100, 15990, ["branco", "cinza", "azul", "bege", "estampado"]),
    ("Cafeteira italiana", 750, 13990, ["3 xícaras", "6 xícaras", "9 xícaras", "elétrica", "indução"]),
]

VARIANTS = 5


def build_catalog(rng: random.Random) -> list[Sku]:
    skus = []
    for f, (name, weight, price, variants) in enumerate(FAMILIES):
        for v, variant in enumerate(variants):
            n = f * VARIANTS + v + 1
            skus.append(Sku(
                sku=f"SKU-{n:04d}",
                description=f"{name} {variant}",
                family=f,
                weight_g=round(weight * rng.uniform(0.9, 1.1)),
                price=price + rng.randint(-4, 4) * 500,
                reorder_point=rng.randint(5, 25),
            ))
    return skus


class TrackingNumbers:
    """Carrier-issued numbers: a per-carrier serial, so clean numbers never collide."""

    CORREIOS_PREFIXES = ("OB", "QB", "NX", "PX", "LB")

    def __init__(self, rng: random.Random) -> None:
        self.serial = {
            "correios": rng.randrange(10**8, 4 * 10**8),
            "jadlog": 10**13 + rng.randrange(10**12),
            "loggi": rng.randrange(10**9, 3 * 10**9),
        }

    def next(self, carrier: str) -> str:
        n = self.serial[carrier]
        self.serial[carrier] = n + 1
        if carrier == "correios":
            return f"{self.CORREIOS_PREFIXES[n % len(self.CORREIOS_PREFIXES)]}{n:09d}BR"
        if carrier == "jadlog":
            return f"{n:014d}"
        return f"LG{n:010d}"

    @staticmethod
    def malformed(carrier: str, number: str) -> str:
        """A label typed by hand. Still unique: two bad labels must not look like one reused label."""
        if carrier == "correios":
            return number[:-2]  # the BR suffix left off
        if carrier == "jadlog":
            return number[1:]  # the leading digit lost (serials all start alike)
        return "LG-" + number[2:]


class World:
    def __init__(self, rng: random.Random, expected_orders: float) -> None:
        self.skus = build_catalog(rng)
        self.sku = {s.sku: s for s in self.skus}
        ranks = list(range(len(self.skus)))
        rng.shuffle(ranks)
        # a few best sellers and a long tail
        self.sku_cum = list(accumulate(1 / (r + 1) ** 0.8 for r in ranks))
        self.states = STATES
        self.state = {s.uf: s for s in STATES}
        self.state_cum = list(accumulate(s.weight for s in STATES))
        self.customers = max(200, int(expected_orders / 2.5))
        self.tracking = TrackingNumbers(rng)
        self.split_gap_bh = 1.0  # business hours between a clean order's two parcels, at least

    def neighbour(self, sku: str) -> str:
        """Another variant of the same product: what a picker grabs by mistake."""
        s = self.sku[sku]
        v = (int(sku[4:]) - 1) % VARIANTS
        return f"SKU-{s.family * VARIANTS + (v + 1) % VARIANTS + 1:04d}"

    def zone_days(self, warehouse: str, uf: str) -> int:
        """Calendar days from pickup to the delivery day."""
        home = WAREHOUSES[warehouse][0]
        if uf == home:
            return 1
        return 2 if self.state[uf].warehouse == warehouse else 3

    @staticmethod
    def carriers_for(uf: str) -> tuple[tuple[str, ...], list[int]]:
        if uf in LOGGI_STATES:
            return CARRIERS, [5, 8, 11]
        return CARRIERS[:2], [5, 8]
