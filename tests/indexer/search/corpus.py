"""A small multilingual corpus for the search suite, with what each listing should index as.

Each entry says, besides the listing itself, what a search document built from it must
hold (country, product families) and what happens to it in the store afterwards (a
verdict, a takedown, a seller cluster). Tests compare search results with what these
entries say, never with the search code's own output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crawler.listing import Classification, Listing, Reason, Seller, SpeciesMatch, Tier

__all__ = ["CORPUS", "EPOCH", "Entry"]

EPOCH = datetime(2026, 3, 1, tzinfo=UTC)
_ELEPHANT = ("African elephant", "Loxodonta africana", "I/II")
_RHINO = ("White rhinoceros", "Ceratotherium simum", "I")
_TIGER = ("Tiger", "Panthera tigris", "I")
_PANGOLIN = ("Sunda pangolin", "Manis javanica", "I")
_HAWKSBILL = ("Hawksbill turtle", "Eretmochelys imbricata", "I")
_BEAR = ("Asiatic black bear", "Ursus thibetanus", "I")
_MACAW = ("Blue-and-yellow macaw", "Ara ararauna", "II")


@dataclass(frozen=True)
class Entry:
    key: str
    platform: str
    language: str
    title: str
    description: str = ""
    location: str | None = None
    currency: str | None = None
    price: float | None = None
    #: Days after EPOCH it was posted; None: not posted, dated by first_seen (EPOCH).
    day: int | None = None
    tier: Tier = "none"
    risk: float = 0.0
    species: tuple[tuple[str, str, str], ...] = ()
    #: Product terms (as written in the text) the classifier reported.
    products: tuple[str, ...] = ()
    seller: str | None = None
    hashtags: tuple[str, ...] = ()
    # What the store does with it later.
    verdicts: tuple[str, ...] = ()
    removed: bool = False
    seller_cluster: str | None = None
    repost_cluster: str | None = None
    # What its search document must say.
    country: str | None = None
    families: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.platform}:{self.key}"

    @property
    def date(self) -> datetime:
        return EPOCH + timedelta(days=self.day or 0)

    @property
    def flagged(self) -> bool:
        return self.risk >= 0.5

    @property
    def review_status(self) -> str:
        if not self.verdicts:
            return "unreviewed"
        return {"confirm": "confirmed", "dismiss": "dismissed"}[self.verdicts[-1]]

    @property
    def appendix(self) -> set[str]:
        return {part for s in self.species for part in s[2].split("/")}

    @property
    def scientific_names(self) -> set[str]:
        return {s[1] for s in self.species}

    def listing(self) -> Listing:
        text = f"{self.title}\n{self.description}" if self.description else self.title
        reasons = []
        for term in self.products:
            start = text.find(term)
            assert start >= 0, f"{self.key}: product term {term!r} is not in the text"
            reasons.append(Reason(kind="product", term=term, start=start, end=start + len(term)))
        return Listing(
            platform=self.platform,
            platform_id=self.key,
            url=f"https://{self.platform}.example/{self.key}",
            title=self.title,
            description=self.description or None,
            price=self.price,
            currency=self.currency,
            seller=Seller(id=f"{self.platform}-{self.seller}", name=self.seller)
            if self.seller
            else None,
            location=self.location,
            posted_at=self.date if self.day is not None else None,
            language=self.language,
            hashtags=list(self.hashtags),
            first_seen=EPOCH,
            last_seen=EPOCH + timedelta(days=30),
            classification=Classification(
                wildlife_product=self.risk,
                risk=self.risk,
                flagged=self.flagged,
                tier=self.tier,
                species=[
                    SpeciesMatch(name=name, scientific_name=sci, cites_appendix=app)
                    for name, sci, app in self.species
                ],
                reasons=reasons,
                model="test-fixture",
                classified_at=EPOCH,
            ),
        )


CORPUS: tuple[Entry, ...] = (
    # Chinese, simplified: words inside unspaced text, and look-alikes sharing characters.
    Entry(
        "zh-ivory",
        "bazaar",
        "zh",
        title="出售象牙手镯，正品保证",
        description="老象牙雕刻，可视频验货",
        location="广州",
        currency="CNY",
        price=8800,
        day=3,
        tier="high",
        risk=0.93,
        species=(_ELEPHANT,),
        products=("象牙",),
        seller="老王",
        hashtags=("象牙", "收藏"),
        verdicts=("confirm",),
        seller_cluster="sc-wang",
        country="CN",
        families=("ivory",),
    ),
    Entry(
        "zh-horn",
        "feed",
        "zh",
        title="犀牛角粉批发",
        description="正宗犀牛角，量大从优",
        location="昆明",
        currency="CNY",
        price=12000,
        day=10,
        tier="high",
        risk=0.9,
        species=(_RHINO,),
        products=("犀牛角",),
        seller="老王",
        seller_cluster="sc-wang",
        repost_cluster="rp-horn",
        country="CN",
        families=("horn",),
    ),
    Entry(
        "zh-tiger",
        "bazaar",
        "zh",
        title="虎骨酒 三十年陈酿",
        description="",
        location="北京",
        currency="CNY",
        price=3000,
        day=12,
        tier="high",
        risk=0.85,
        species=(_TIGER,),
        products=("虎骨",),
        country="CN",
        families=("bone",),
    ),
    Entry(
        "zh-toy",
        "shop",
        "zh",
        title="大象毛绒玩具",
        description="儿童礼物，柔软可爱",
        location="上海",
        currency="CNY",
        price=59,
        day=20,
        country="CN",
    ),
    Entry(
        "zh-brush",
        "shop",
        "zh",
        title="竹炭牙刷 四支装",
        description="",
        location=None,
        currency="CNY",
        price=19,
        day=21,
        country="CN",
    ),
    # Chinese, traditional.
    Entry(
        "zht-horn",
        "feed",
        "zh-Hant",
        title="出售犀角雕刻",
        description="香港現貨，歡迎查詢",
        location="香港",
        currency="HKD",
        price=50000,
        day=15,
        tier="high",
        risk=0.88,
        species=(_RHINO,),
        products=("犀角",),
        seller="阿明",
        repost_cluster="rp-horn",
        country="HK",
        families=("horn",),
    ),
    Entry(
        "zht-scales",
        "bazaar",
        "zh-Hant",
        title="穿山甲鱗片 中藥材",
        description="台灣可面交",
        location="台北",
        currency="TWD",
        price=2500,
        day=16,
        tier="medium",
        risk=0.7,
        species=(_PANGOLIN,),
        products=("穿山甲鱗片",),
        country="TW",
        families=("scales",),
    ),
    # Japanese.
    Entry(
        "ja-seal",
        "shop",
        "ja",
        title="象牙の印鑑を販売します",
        description="本象牙、天然素材",
        location="東京",
        currency="JPY",
        price=45000,
        day=5,
        tier="medium",
        risk=0.75,
        species=(_ELEPHANT,),
        products=("象牙",),
        country="JP",
        families=("ivory",),
    ),
    Entry(
        "ja-hairpin",
        "shop",
        "ja",
        title="べっ甲のかんざし 本物",
        description="",
        location="大阪",
        currency="JPY",
        price=30000,
        day=6,
        tier="medium",
        risk=0.6,
        species=(_HAWKSBILL,),
        products=("べっ甲",),
        country="JP",
        families=("shell",),
    ),
    Entry(
        "ja-figure",
        "shop",
        "ja",
        title="象の置物 木彫り",
        description="インテリアに",
        location="京都",
        currency="JPY",
        price=3500,
        day=7,
        country="JP",
    ),
    # Thai.
    Entry(
        "th-bangle",
        "feed",
        "th",
        title="ขายกำไลงาช้างแท้",
        description="ส่งฟรีทั่วประเทศ",
        location="กรุงเทพฯ",
        currency="THB",
        price=15000,
        day=8,
        tier="high",
        risk=0.91,
        species=(_ELEPHANT,),
        products=("งาช้าง",),
        seller="เจ๊หมวย",
        hashtags=("งาช้าง",),
        country="TH",
        families=("ivory",),
    ),
    Entry(
        "th-horn",
        "feed",
        "th",
        title="นอแรดแท้ ราคาถูก",
        description="",
        location="เชียงใหม่",
        currency="THB",
        price=90000,
        day=9,
        tier="high",
        risk=0.89,
        species=(_RHINO,),
        products=("นอแรด",),
        country="TH",
        families=("horn",),
    ),
    Entry(
        "th-carving",
        "shop",
        "th",
        title="ช้างไม้แกะสลัก",
        description="งานฝีมือ",
        location=None,
        currency="THB",
        price=800,
        day=11,
        country="TH",
    ),
    # Vietnamese, with and without diacritics.
    Entry(
        "vi-bangle",
        "bazaar",
        "vi",
        title="Vòng tay ngà voi thật 100%",
        description="Hàng đẹp, giao Hà Nội",
        location="Hà Nội",
        currency="VND",
        price=5000000,
        day=2,
        tier="high",
        risk=0.92,
        species=(_ELEPHANT,),
        products=("ngà voi",),
        seller="Đức Anh",
        seller_cluster="sc-duc",
        country="VN",
        families=("ivory",),
    ),
    Entry(
        "vi-horn-plain",
        "feed",
        "vi",
        title="Sung te giac nguyen chiec",
        description="Ban si le, ship COD",
        location="Ho Chi Minh",
        currency="VND",
        price=90000000,
        day=4,
        tier="high",
        risk=0.9,
        species=(_RHINO,),
        products=("Sung te giac",),
        seller_cluster="sc-duc",
        country="VN",
        families=("horn",),
    ),
    Entry(
        "vi-horn",
        "bazaar",
        "vi",
        title="Bán sừng tê giác Châu Phi",
        description="Đảm bảo hàng thật",
        location="Đà Nẵng",
        currency="VND",
        price=120000000,
        day=13,
        tier="high",
        risk=0.94,
        species=(_RHINO,),
        products=("sừng tê giác",),
        verdicts=("dismiss", "confirm"),
        country="VN",
        families=("horn",),
    ),
    Entry(
        "vi-scales",
        "feed",
        "vi",
        title="Đồ thủ công từ vảy tê tê",
        description="",
        location="Thủ Đức, TP.HCM",
        currency="VND",
        price=2000000,
        day=14,
        tier="medium",
        risk=0.72,
        species=(_PANGOLIN,),
        products=("vảy tê tê",),
        country="VN",
        families=("scales",),
    ),
    Entry(
        "vi-bear",
        "bazaar",
        "vi",
        title="Mật gấu nguyên chất",
        description="",
        location=None,
        currency="VND",
        price=None,
        day=17,
        tier="medium",
        risk=0.66,
        species=(_BEAR,),
        products=("Mật gấu",),
        country="VN",
        families=("bile",),
    ),
    # Indonesian.
    Entry(
        "id-ivory",
        "bazaar",
        "id",
        title="Jual gading gajah asli",
        description="Bisa COD Jakarta",
        location="Jakarta",
        currency="IDR",
        price=3500000,
        day=18,
        tier="high",
        risk=0.87,
        species=(_ELEPHANT,),
        products=("gading gajah",),
        country="ID",
        families=("ivory",),
    ),
    Entry(
        "id-scales",
        "feed",
        "id",
        title="Sisik trenggiling kering",
        description="Stok terbatas",
        location="Medan",
        currency="IDR",
        price=900000,
        day=19,
        tier="medium",
        risk=0.7,
        species=(_PANGOLIN,),
        products=("Sisik trenggiling",),
        removed=True,
        country="ID",
        families=("scales",),
    ),
    # English.
    Entry(
        "en-bangle",
        "shop",
        "en",
        title="Genuine ivory bangle, antique",
        description="Ships from Lagos.",
        location="Lagos, Nigeria",
        currency="USD",
        price=450,
        day=22,
        tier="high",
        risk=0.86,
        species=(_ELEPHANT,),
        products=("ivory",),
        seller="ivoryking",
        verdicts=("confirm",),
        country="NG",
        families=("ivory",),
    ),
    Entry(
        "en-cup",
        "bazaar",
        "en",
        title="Rhino horn cup, old collection",
        description="Carved rhino horn.",
        location="London",
        currency="GBP",
        price=20000,
        day=23,
        tier="high",
        risk=0.9,
        species=(_RHINO,),
        products=("Rhino horn",),
        country="GB",
        families=("horn",),
    ),
    Entry(
        "en-dress",
        "shop",
        "en",
        title="Ivory-colored wedding dress, size M",
        description="Worn once.",
        location="Paris",
        currency="EUR",
        price=300,
        day=24,
        tier="low",
        risk=0.2,
        country="FR",
    ),
    Entry(
        "en-elephant",
        "shop",
        "en",
        title="Wooden elephant carving",
        description="Fair trade ivoryware shop.",
        location=None,
        currency="USD",
        price=40,
        day=25,
        verdicts=("dismiss",),
    ),
    Entry(
        "en-hostile",
        "bazaar",
        "en",
        title="<script>alert('x')</script> ivory carving <img src=x onerror=alert(1)>",
        description='Real ivory & <b>bone</b> "quoted"',
        location="Nairobi",
        currency="KES",
        price=7000,
        day=26,
        tier="high",
        risk=0.8,
        species=(_ELEPHANT,),
        products=("ivory",),
        country="KE",
        families=("ivory",),
    ),
    Entry(
        "en-macaw",
        "feed",
        "en",
        title="Blue and yellow macaw chicks",
        description="Hand fed, ready now",
        location="Miami",
        currency="USD",
        price=None,
        day=None,
        tier="medium",
        risk=0.6,
        species=(_MACAW,),
        seller="parrotpal",
        hashtags=("macaw", "parrots"),
        country="US",
    ),
    Entry(
        "en-syntax",
        "shop",
        "en",
        title="Ivory or horn? NEAR mint title:antique",
        description="Carving* AND more",
        location=None,
        currency="USD",
        price=90,
        day=27,
        tier="low",
        risk=0.3,
        removed=True,
    ),
    # French, Spanish, Portuguese.
    Entry(
        "fr-bracelet",
        "shop",
        "fr",
        title="Bracelet en ivoire véritable",
        description="Envoi depuis Paris",
        location="Paris",
        currency="EUR",
        price=1200,
        day=28,
        tier="high",
        risk=0.86,
        species=(_ELEPHANT,),
        products=("ivoire",),
        country="FR",
        families=("ivory",),
    ),
    Entry(
        "fr-tusk",
        "bazaar",
        "fr",
        title="Défense d'éléphant sculptée",
        description="Pièce unique",
        location="Bruxelles",
        currency="EUR",
        price=9000,
        day=29,
        tier="high",
        risk=0.9,
        species=(_ELEPHANT,),
        products=("Défense d'éléphant",),
        country="BE",
        families=("ivory",),
    ),
    Entry(
        "es-bracelet",
        "shop",
        "es",
        title="Pulsera de marfil auténtico",
        description="Envío a Madrid",
        location="Madrid",
        currency="EUR",
        price=800,
        day=30,
        tier="high",
        risk=0.85,
        species=(_ELEPHANT,),
        products=("marfil",),
        country="ES",
        families=("ivory",),
    ),
    Entry(
        "es-powder",
        "feed",
        "es",
        title="Cuerno de rinoceronte en polvo",
        description="",
        location="Ciudad de México",
        currency="MXN",
        price=50000,
        day=31,
        tier="high",
        risk=0.9,
        species=(_RHINO,),
        products=("Cuerno de rinoceronte",),
        country="MX",
        families=("horn",),
    ),
    Entry(
        "pt-bracelet",
        "shop",
        "pt",
        title="Pulseira de marfim legítimo",
        description="",
        location="São Paulo",
        currency="BRL",
        price=2000,
        day=32,
        tier="high",
        risk=0.84,
        species=(_ELEPHANT,),
        products=("marfim",),
        country="BR",
        families=("ivory",),
    ),
    Entry(
        "pt-scales",
        "feed",
        "pt",
        title="Escamas de pangolim para venda",
        description="Maputo, entrega rápida",
        location=None,
        currency="MZN",
        price=15000,
        day=33,
        tier="medium",
        risk=0.7,
        species=(_PANGOLIN,),
        products=("Escamas de pangolim",),
        country="MZ",
        families=("scales",),
    ),
    # Ordinary goods, for the filters' other side.
    Entry(
        "de-watch",
        "shop",
        "de",
        title="Armbanduhr aus Edelstahl",
        description="Neu, OVP",
        location="Berlin",
        currency="EUR",
        price=150,
        day=34,
        country="DE",
    ),
    Entry(
        "en-phone",
        "bazaar",
        "en",
        title="Phone case, ivory white",
        description="",
        location=None,
        currency="EUR",
        price=12,
        day=35,
        tier="low",
        risk=0.1,
    ),
)
