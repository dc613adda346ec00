"""Static reference data for the synthetic world: countries, networks, clients, names, domains.

Everything here is plain data so that the generators stay small and the world stays internally
consistent (an IP is always drawn from its ASN's own blocks, a TLS hash from its client family).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime


def _us(year: int, month: int, day: int) -> int:
    """Microseconds since the epoch for a UTC midnight."""
    return int(datetime(year, month, day, tzinfo=UTC).timestamp()) * 1_000_000


HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
SIGNUP_START_US = _us(2026, 7, 3)
SIGNUP_END_US = _us(2026, 11, 1) - 1  # last signup on 2026-10-31
ACTIVITY_END_US = _us(2026, 11, 14) - 1  # the export was cut two weeks after the last signup
REASONING_RELEASE_US = _us(2026, 8, 12)
SEMESTER_START_US = _us(2026, 8, 31)

MODELS = ("model-small-2026-05", "model-large-2026-05", "model-reasoning-2026-08")


@dataclass(frozen=True)
class Asn:
    """One autonomous system: its class and the IPv4 blocks (first octet, second lo..hi)."""

    asn: int
    name: str
    kind: str  # residential | mobile | datacenter | vpn | education | business
    country: str
    v4: tuple[tuple[int, int, int], ...]
    v6: str | None = None  # first two hextets of the ASN's IPv6 prefix


ASNS: tuple[Asn, ...] = (
    # residential ISPs
    Asn(
        7922,
        "Comcast",
        "residential",
        "US",
        ((73, 0, 255), (24, 0, 63), (98, 192, 255)),
        "2601:1c2",
    ),
    Asn(701, "Verizon FiOS", "residential", "US", ((71, 96, 191), (108, 0, 63)), "2600:4040"),
    Asn(7018, "AT&T", "residential", "US", ((99, 0, 191), (107, 128, 223)), "2600:1700"),
    Asn(20115, "Charter", "residential", "US", ((47, 128, 223), (97, 64, 127)), "2603:6010"),
    Asn(22773, "Cox", "residential", "US", ((68, 96, 111), (70, 160, 191)), "2600:8800"),
    Asn(812, "Rogers", "residential", "CA", ((174, 112, 119), (99, 224, 255)), "2607:fea8"),
    Asn(577, "Bell Canada", "residential", "CA", ((70, 24, 55),)),
    Asn(2856, "BT", "residential", "GB", ((81, 128, 159), (86, 128, 191)), "2a00:23c6"),
    Asn(5089, "Virgin Media", "residential", "GB", ((82, 0, 47),), "2a02:c7c"),
    Asn(13285, "TalkTalk", "residential", "GB", ((89, 240, 255),)),
    Asn(
        3320,
        "Deutsche Telekom",
        "residential",
        "DE",
        ((79, 192, 255), (87, 128, 191), (91, 0, 63)),
        "2003:e6",
    ),
    Asn(31334, "Vodafone Kabel DE", "residential", "DE", ((88, 64, 79),), "2a02:8108"),
    Asn(12322, "Free", "residential", "FR", ((78, 192, 255), (88, 160, 191)), "2a01:e0a"),
    Asn(3215, "Orange FR", "residential", "FR", ((90, 0, 127), (86, 192, 255)), "2a01:cb00"),
    Asn(5410, "Bouygues", "residential", "FR", ((176, 128, 191),)),
    Asn(3352, "Telefonica ES", "residential", "ES", ((83, 32, 63),)),
    Asn(8151, "Telmex", "residential", "MX", ((187, 128, 255),)),
    Asn(28573, "Claro NET", "residential", "BR", ((177, 0, 63),)),
    Asn(18881, "Vivo", "residential", "BR", ((179, 96, 127),), "2804:14c"),
    Asn(24560, "Airtel", "residential", "IN", ((122, 160, 191),)),
    Asn(9829, "BSNL", "residential", "IN", ((117, 192, 255),)),
    Asn(4713, "NTT OCN", "residential", "JP", ((153, 128, 255),), "2400:4050"),
    Asn(2516, "KDDI", "residential", "JP", ((106, 128, 191),)),
    Asn(4766, "Korea Telecom", "residential", "KR", ((175, 192, 255),)),
    Asn(5617, "Orange Polska", "residential", "PL", ((83, 0, 31),)),
    Asn(1136, "KPN", "residential", "NL", ((77, 160, 175),), "2a02:a440"),
    Asn(33915, "Ziggo", "residential", "NL", ((84, 24, 31),)),
    Asn(4134, "Chinanet", "residential", "CN", ((113, 64, 127),)),
    Asn(8452, "TE Data", "residential", "EG", ((41, 32, 47),)),
    Asn(25019, "STC", "residential", "SA", ((94, 96, 111),)),
    # mobile carriers (CGNAT egress)
    Asn(21928, "T-Mobile US", "mobile", "US", ((172, 56, 59),)),
    Asn(22394, "Verizon Wireless", "mobile", "US", ((174, 192, 255),)),
    Asn(20057, "AT&T Mobility", "mobile", "US", ((166, 128, 191),)),
    Asn(12576, "EE", "mobile", "GB", ((31, 94, 95),)),
    Asn(6805, "Telefonica O2 DE", "mobile", "DE", ((89, 0, 15),)),
    Asn(51207, "Free Mobile", "mobile", "FR", ((37, 160, 175),)),
    Asn(55836, "Reliance Jio", "mobile", "IN", ((49, 32, 47),)),
    Asn(26615, "TIM Brasil", "mobile", "BR", ((191, 240, 255),)),
    # hosting / datacenter
    Asn(16509, "Amazon AWS", "datacenter", "US", ((52, 0, 95), (54, 144, 159), (18, 188, 191))),
    Asn(14618, "Amazon AES", "datacenter", "US", ((44, 192, 223), (3, 208, 239))),
    Asn(14061, "DigitalOcean", "datacenter", "US", ((104, 131, 131), (138, 68, 68), (159, 65, 65))),
    Asn(24940, "Hetzner", "datacenter", "DE", ((65, 108, 109), (95, 216, 217), (116, 202, 203))),
    Asn(16276, "OVH", "datacenter", "FR", ((51, 38, 38), (51, 68, 68), (137, 74, 74))),
    Asn(63949, "Linode", "datacenter", "US", ((45, 33, 33), (139, 162, 162), (172, 104, 105))),
    Asn(20473, "Vultr", "datacenter", "US", ((45, 32, 32), (45, 76, 77), (149, 28, 28))),
    # commercial VPN exits
    Asn(9009, "M247", "vpn", "GB", ((37, 120, 120), (89, 238, 239))),
    Asn(60068, "CDN77 Datacamp", "vpn", "GB", ((89, 187, 187), (185, 59, 59))),
    Asn(212238, "Datacamp", "vpn", "US", ((84, 17, 17), (212, 102, 102))),
    # business transit (offices, venues)
    Asn(174, "Cogent", "business", "US", ((38, 0, 127),)),
    Asn(6461, "Zayo", "business", "US", ((64, 125, 125), (208, 185, 185))),
    Asn(3356, "Lumen", "business", "US", ((4, 0, 63),)),
    # universities
    Asn(3, "MIT-like campus", "education", "US", ((18, 27, 31),)),
    Asn(25, "UC campus", "education", "US", ((128, 32, 32),)),
    Asn(7377, "UCSD-like campus", "education", "US", ((132, 239, 239),)),
    Asn(1312, "VT-like campus", "education", "US", ((128, 173, 173),)),
    Asn(786, "JANET", "education", "GB", ((128, 40, 43),)),
    Asn(553, "BelWue", "education", "DE", ((129, 206, 206), (134, 2, 2))),
    Asn(2200, "RENATER", "education", "FR", ((193, 48, 55),)),
)

ASN_CLASSES: dict[int, str] = {a.asn: a.kind for a in ASNS}


@dataclass(frozen=True)
class Country:
    """A country's population weight, timezone, name culture and phone/postal formats."""

    code: str
    weight: float
    culture: str
    tz: int  # hours from UTC (a representative offset)
    cc: str  # dialling code
    groups: tuple[int, ...]  # national number digit groups
    lead: str  # leading digits of mobile numbers
    trunk: str  # national trunk prefix
    mail_spec: str  # free email providers as "domain:weight ..."

    @property
    def mails(self) -> tuple[tuple[str, float], ...]:
        """(domain, weight) pairs of the country's free email providers."""
        pairs = (item.split(":") for item in self.mail_spec.split())
        return tuple((d, float(w)) for d, w in pairs)


_INTL = "gmail.com:60 outlook.com:10 hotmail.com:8 yahoo.com:8 icloud.com:6 proton.me:3"

# code, weight, culture, tz, dialling code, digit groups, mobile lead, trunk, free mail providers
COUNTRIES: tuple[Country, ...] = (
    Country("US", 34, "en", -5, "1", (3, 3, 4), "", "",
            "gmail.com:55 yahoo.com:12 outlook.com:9 hotmail.com:7 icloud.com:10 aol.com:3 "
            "proton.me:4"),
    Country("IN", 10, "hi", 5, "91", (5, 5), "9", "0",
            "gmail.com:80 yahoo.co.in:8 outlook.com:6 rediffmail.com:6"),
    Country("GB", 7, "en", 0, "44", (4, 6), "7", "0",
            "gmail.com:50 hotmail.co.uk:12 yahoo.co.uk:10 outlook.com:10 btinternet.com:6 "
            "icloud.com:8 proton.me:4"),
    Country("DE", 7, "de", 1, "49", (3, 8), "15", "0",
            "gmail.com:35 gmx.de:22 web.de:20 t-online.de:8 outlook.de:7 posteo.de:4 proton.me:4"),
    Country("FR", 5, "fr", 1, "33", (1, 2, 2, 2, 2), "6", "0",
            "gmail.com:50 orange.fr:14 free.fr:10 laposte.net:8 hotmail.fr:10 yahoo.fr:8"),
    Country("BR", 5, "pt", -3, "55", (2, 5, 4), "", "0",
            "gmail.com:70 hotmail.com:14 outlook.com:8 yahoo.com.br:8"),
    Country("CA", 4, "en", -5, "1", (3, 3, 4), "", "", _INTL),
    Country("JP", 4, "ja", 9, "81", (2, 4, 4), "90", "0",
            "gmail.com:50 yahoo.co.jp:25 icloud.com:15 outlook.jp:10"),
    Country("ES", 3, "es", 1, "34", (3, 3, 3), "6", "",
            "gmail.com:65 hotmail.es:15 yahoo.es:8 outlook.es:12"),
    Country("MX", 3, "es", -6, "52", (2, 4, 4), "", "",
            "gmail.com:65 hotmail.com:20 outlook.com:10 yahoo.com.mx:5"),
    Country("KR", 3, "ko", 9, "82", (2, 4, 4), "10", "0",
            "naver.com:45 gmail.com:35 daum.net:15 kakao.com:5"),
    Country("PL", 3, "pl", 1, "48", (3, 3, 3), "5", "",
            "gmail.com:45 wp.pl:20 onet.pl:15 o2.pl:10 interia.pl:10"),
    Country("NL", 3, "nl", 1, "31", (1, 4, 4), "6", "0",
            "gmail.com:55 hotmail.com:15 outlook.com:15 ziggo.nl:8 kpnmail.nl:7"),
    Country("CN", 2, "zh", 8, "86", (3, 4, 4), "1", "",
            "qq.com:45 163.com:30 126.com:10 gmail.com:10 outlook.com:5"),
    Country("EG", 2, "ar", 2, "20", (2, 4, 4), "1", "0", _INTL),
    Country("SA", 2, "ar", 3, "966", (2, 3, 4), "5", "0", _INTL),
)  # fmt: skip

COUNTRY_CODES = tuple(c.code for c in COUNTRIES)


def _words(spec: str) -> tuple[str, ...]:
    """Whitespace-separated words (compact data tables)."""
    return tuple(spec.split())


def _names(spec: str) -> tuple[tuple[str, str], ...]:
    """Parse "Display=ascii Other" into (display, ascii-for-email); "_" stands for a space."""
    out = []
    for token in spec.split():
        display, _, ascii_form = token.partition("=")
        display = display.replace("_", " ")
        out.append((display, ascii_form or display.lower()))
    return tuple(out)


# culture -> (first names, last names, surname first?, separator)
NAMES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...], bool, str]] = {
    "en": (
        _names(
            "James Mary John Patricia Robert Jennifer Michael Linda David Emily William "
            "Sarah Richard Jessica Joseph Ashley Thomas Olivia Chris Megan Daniel Zoë=zoe "
            "Matthew Hannah Andrew Lauren Ryan Chloe Tyler Grace Brandon Madison Kevin "
            "Rachel Jacob Amelia Liam Sophie Noah Ella Ethan Abigail"
        ),
        _names(
            "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas "
            "Moore Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young "
            "Allen King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell "
            "Roberts Carter Phillips Evans Turner Parker Collins O'Brien=obrien Murphy "
            "Cooper Reed Bailey Kelly Howard Ward Cox Hughes Price Bennett Wood"
        ),
        False,
        " ",
    ),
    "de": (
        _names(
            "Lukas Anna Leon Mia Finn Hannah Jonas Lena Paul Laura Felix Lea Maximilian "
            "Sophie Jürgen=juergen Sabine Stefan Katrin Tobias Julia Jörg=joerg Anke "
            "Matthias Sarah Niklas Marie"
        ),
        _names(
            "Müller=mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz "
            "Hoffmann Schäfer=schaefer Koch Bauer Richter Klein Wolf Schröder=schroeder "
            "Neumann Schwarz Zimmermann Braun Krüger=krueger Hofmann Hartmann Lange"
        ),
        False,
        " ",
    ),
    "fr": (
        _names(
            "Léa=lea Hugo Chloé=chloe Louis Manon Gabriel Camille Arthur Inès=ines Jules "
            "Sarah Lucas Emma Nathan Jade Théo=theo Louise Raphaël=raphael Céline=celine "
            "Antoine Juliette Mathieu Élodie=elodie Nicolas"
        ),
        _names(
            "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon "
            "Laurent Lefèvre=lefevre Michel Garcia David Bertrand Roux Vincent Fournier "
            "Morel Girard André=andre Mercier"
        ),
        False,
        " ",
    ),
    "es": (
        _names(
            "José=jose María=maria Juan Lucía=lucia Carlos Sofía=sofia Javier Carmen "
            "Miguel Valentina Alejandro Camila Diego Paula Andrés=andres Daniela Pablo "
            "Elena Jorge Isabel Luis Ximena Mateo Ana"
        ),
        _names(
            "García=garcia Rodríguez=rodriguez Martínez=martinez López=lopez González=gonzalez "
            "Hernández=hernandez Pérez=perez Sánchez=sanchez Ramírez=ramirez Torres Flores "
            "Rivera Gómez=gomez Díaz=diaz Reyes Morales Jiménez=jimenez Ruiz Álvarez=alvarez "
            "Romero Navarro Castillo Ortiz Núñez=nunez"
        ),
        False,
        " ",
    ),
    "pt": (
        _names(
            "João=joao Maria Pedro Ana Lucas Juliana Gabriel Beatriz Rafael Fernanda "
            "Matheus Larissa Gustavo Camila Felipe Letícia=leticia Bruno Amanda Thiago "
            "Mariana"
        ),
        _names(
            "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes "
            "Costa Ribeiro Martins Carvalho Almeida Lopes Araújo=araujo Barbosa Rocha "
            "Conceição=conceicao"
        ),
        False,
        " ",
    ),
    "hi": (
        _names(
            "Aarav Priya Vivaan Ananya Aditya Diya Arjun Isha Rohan Kavya Rahul Sneha "
            "Amit Pooja Vikram Neha Sanjay Divya Karan Anjali Rajesh Meera Suresh Lakshmi"
        ),
        _names(
            "Sharma Patel Singh Kumar Gupta Reddy Iyer Nair Mehta Shah Verma Joshi Rao "
            "Das Mishra Agarwal Chopra Banerjee Pillai Menon Kapoor Malhotra"
        ),
        False,
        " ",
    ),
    "ja": (
        _names(
            "陽翔=haruto 結衣=yui 蓮=ren 葵=aoi 大翔=hiroto 陽菜=hina 悠真=yuma 凛=rin 健二=kenji "
            "明子=akiko 拓海=takumi さくら=sakura 浩=hiroshi 由紀=yuki"
        ),
        _names(
            "佐藤=sato 鈴木=suzuki 高橋=takahashi 田中=tanaka 伊藤=ito 渡辺=watanabe "
            "山本=yamamoto 中村=nakamura 小林=kobayashi 加藤=kato"
        ),
        True,
        " ",
    ),
    "ko": (
        _names(
            "민준=minjun 서연=seoyeon 도윤=doyun 지우=jiwoo 하준=hajun 서윤=seoyun 지훈=jihoon "
            "민지=minji 현우=hyunwoo 소연=soyeon"
        ),
        _names("김=kim 이=lee 박=park 최=choi 정=jung 강=kang 조=cho 윤=yoon"),
        True,
        "",
    ),
    "pl": (
        _names(
            "Łukasz=lukasz Anna Piotr Katarzyna Krzysztof Małgorzata=malgorzata Tomasz "
            "Agnieszka Paweł=pawel Magdalena Michał=michal Joanna Jakub Zofia Wojciech "
            "Aleksandra"
        ),
        _names(
            "Nowak Kowalski Wiśniewski=wisniewski Wójcik=wojcik Kowalczyk Kamiński=kaminski "
            "Lewandowski Zieliński=zielinski Szymański=szymanski Woźniak=wozniak "
            "Dąbrowski=dabrowski Kozłowski=kozlowski"
        ),
        False,
        " ",
    ),
    "nl": (
        _names(
            "Daan Emma Sem Julia Lucas Tess Levi Sophie Finn Anna Bram Fenna Jesse Lotte "
            "Ruben Sanne"
        ),
        _names(
            "de_Jong=dejong Jansen de_Vries=devries van_den_Berg=vandenberg Bakker Visser "
            "Smit Meijer de_Boer=deboer Mulder Bos Vos Peters Hendriks"
        ),
        False,
        " ",
    ),
    "zh": (
        _names(
            "伟=wei 芳=fang 娜=na 敏=min 静=jing 磊=lei 洋=yang 勇=yong 杰=jie 婷=ting "
            "浩=hao 欣=xin 强=qiang 丽=li"
        ),
        _names("王=wang 李=li 张=zhang 刘=liu 陈=chen 杨=yang 黄=huang 赵=zhao 吴=wu 周=zhou"),
        True,
        "",
    ),
    "ar": (
        _names(
            "محمد=mohamed أحمد=ahmed فاطمة=fatima علي=ali يوسف=youssef مريم=mariam "
            "عمر=omar ليلى=layla خالد=khaled نور=nour حسن=hassan سلمى=salma"
        ),
        _names(
            "علي=ali حسن=hassan إبراهيم=ibrahim منصور=mansour حداد=haddad "
            "ناصر=nasser فاروق=farouk صالح=saleh خليل=khalil"
        ),
        False,
        " ",
    ),
}
CULTURES = tuple(NAMES)
# Cultures whose members often type their name romanized ("Wei Wang") instead of in native script.
NON_LATIN = ("ja", "ko", "zh", "ar")

NICKNAMES = _words(
    "darkstar pixelfox coolcoder nightowl bluefalcon codemonkey zenmaster skywalker "
    "ghostrider lunatic moonbeam techguy datanerd quantum redpanda cyberwolf sunnyday mrrobot "
    "happyhacker bytebard"
)

DISPOSABLE_DOMAINS = _words(
    "mailinator.com guerrillamail.com 10minutemail.com temp-mail.org yopmail.com "
    "sharklasers.com grr.la trashmail.com"
)
# Disposable-looking domains that a public blocklist would probably not know.
OBSCURE_DISPOSABLE_DOMAINS = _words(
    "mailbox-tmp.xyz inboxkit.top quickmail-drop.site mx-relay7.online tmpbox.click"
)

ORG_WORDS_A = _words(
    "acme blue north bright quant nova iron silver apex clear delta vertex pine harbor summit "
    "lumen atlas cedar orbit prime swift stellar terra urban vivid zen open deep solid true "
    "meta hyper green red polar rapid smart core next peak"
)
ORG_WORDS_B = _words(
    "analytics labs systems health logistics data works soft capital media robotics legal bio "
    "cloud mobility energy insights studio tech partners consulting learning foods security "
    "finance retail design ventures dynamics signal"
)
ORG_TLDS = ("com", "com", "com", "io", "ai", "co", "net", "de", "co.uk", "fr")

UNI_WORDS = _words(
    "state northfield rivervale lakemont easton pinecrest westbrook kingsbridge westmoor "
    "ashford hollis marlow redford clearwater oakridge fairhaven glenwood brookline summit "
    "highland bayview stonegate elmhurst granite cresthill millbrook rosedale silverton "
    "ironwood maplewood heidelberg nordstadt rheinwald lyon-sud bretagne alpenau seeburg "
    "valmont thornbury wexford"
)
# university country -> (domain templates, university ASNs)
UNI_FORMS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "US": (("{w}.edu", "{w}u.edu", "{w}state.edu", "{w}tech.edu"), (3, 25, 7377, 1312)),
    "GB": (("{w}.ac.uk", "{w}-uni.ac.uk"), (786,)),
    "DE": (("uni-{w}.de", "tu-{w}.de"), (553,)),
    "FR": (("univ-{w}.fr",), (2200,)),
}


def _ja3(name: str) -> str:
    """A stable JA3-style md5 hex for a client family."""
    return hashlib.md5(f"ja3:{name}".encode()).hexdigest()


TLS_FAMILIES = _words("chrome firefox safari ios android_app ios_app python httpx node curl go")
TLS_HASH: dict[str, str] = {fam: _ja3(fam) for fam in TLS_FAMILIES}

_CHROME = "Mozilla/5.0 ({os}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"
_WIN = "Windows NT 10.0; Win64; x64"
_MAC = "Macintosh; Intel Mac OS X 10_15_7"
_LINUX = "X11; Linux x86_64"
_FF = "Mozilla/5.0 ({os}; rv:{v}.0) Gecko/20100101 Firefox/{v}.0"
_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS {v} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/{s} Mobile/15E148 Safari/604.1"
)


@dataclass(frozen=True)
class Client:
    """A user agent string, the kind of slot it appears in, its weight and its TLS family."""

    ua: str
    kind: str  # desktop | mobile | app | sdk
    weight: float
    tls: str


CLIENTS: tuple[Client, ...] = (
    Client(_CHROME.format(os=_WIN, v=130), "desktop", 18, "chrome"),
    Client(_CHROME.format(os=_WIN, v=129), "desktop", 10, "chrome"),
    Client(_CHROME.format(os=_WIN, v=131), "desktop", 6, "chrome"),
    Client(_CHROME.format(os=_MAC, v=130), "desktop", 12, "chrome"),
    Client(_CHROME.format(os=_MAC, v=129), "desktop", 5, "chrome"),
    Client(_CHROME.format(os=_LINUX, v=130), "desktop", 3, "chrome"),
    Client(_CHROME.format(os=_WIN, v=130) + " Edg/130.0.0.0", "desktop", 6, "chrome"),
    Client(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/18.0 Safari/605.1.15",
        "desktop",
        8,
        "safari",
    ),
    Client(_FF.format(os=_WIN, v=131), "desktop", 4, "firefox"),
    Client(_FF.format(os="Macintosh; Intel Mac OS X 10.15", v=131), "desktop", 2, "firefox"),
    Client(_FF.format(os=_LINUX, v=130), "desktop", 2, "firefox"),
    Client(_IOS.format(v="17_6", s="17.6"), "mobile", 9, "ios"),
    Client(_IOS.format(v="18_0", s="18.0"), "mobile", 7, "ios"),
    Client(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Mobile Safari/537.36",
        "mobile",
        9,
        "chrome",
    ),
    Client("ModelChat/1.2026.287 (Android 14; SM-S911B)", "app", 6, "android_app"),
    Client("ModelChat/1.2026.287 (Android 13; Pixel 7)", "app", 4, "android_app"),
    Client("ModelChat/1.2026.280 (iOS 18.0; iPhone15,2)", "app", 7, "ios_app"),
    Client("openai-python/1.54.3", "sdk", 14, "httpx"),
    Client("openai-python/1.51.0", "sdk", 8, "httpx"),
    Client("python-requests/2.32.3", "sdk", 9, "python"),
    Client("python-requests/2.31.0", "sdk", 6, "python"),
    Client("openai-node/4.67.3", "sdk", 8, "node"),
    Client("node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "sdk", 3, "node"),
    Client("axios/1.7.7", "sdk", 3, "node"),
    Client("curl/8.5.0", "sdk", 3, "curl"),
    Client("Go-http-client/2.0", "sdk", 2, "go"),
    Client("Python/3.11 aiohttp/3.10.10", "sdk", 2, "python"),
)
UA_INDEX = {c.ua: i for i, c in enumerate(CLIENTS)}

# Issuer BINs: ordinary consumer cards, corporate cards, and prepaid/virtual card programmes.
CONSUMER_BINS = _words(
    "414720 426684 453201 476173 491693 400022 411111 522165 542418 550000 510510 535110 "
    "601100 371449 379764 455673 483312 520082 528013 403587 434994 498824 516732 546616"
)
CORPORATE_BINS = ("379762", "556957", "441103", "485246", "558158")
PREPAID_BINS = ("435880", "511332", "533248", "409758", "474165", "543669", "416621", "527518")
