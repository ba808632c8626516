"""A labelled evaluation set for the company-name matcher (accounts.matching).

``CRM`` is a realistic CRM of a few hundred companies (varied industries and countries, parents and
children, and *hard negatives*: confusable companies that exist together, such as "Bank of the West"
and "Bank of the East"). ``typed_names()`` derives, deterministically from a seed, what people type
into a sign-up form or name a workspace: the exact name, case and legal-form variants, typos,
"&"/"and", dropped accents, spacing, a leading "The", office tails ("Acme Berlin", "Acme (UK)"),
workspace names ("acme-data-team"), abbreviations and initialisms, shortened names - each labelled
with the company it truly means - plus names of companies that are NOT in the CRM and junk, both
labelled ``None``.

The labels are the truth, not what the matcher is expected to say: a typo in a four-letter name is
labelled with its company even though the matcher (rightly) refuses to guess it.

Also used by bench/match_quality.py and bench/match_speed.py.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

# name | country (ISO-ish, used for office tails and legal forms)
_CRM_TEXT = """
Acme Corporation|US
Acme Labs Inc.|US
Acme UK Ltd|UK
Bank of the West|US
Bank of the East|US
Schlumberger Holdings Corporation|US
Schlumberger Technology Corporation|US
Delta Air Lines, Inc.|US
Delta Dental Plans Association|US
American Express Company|US
American Airlines Group Inc.|US
General Electric Company|US
General Motors Company|US
General Mills, Inc.|US
International Business Machines Corporation|US
Hewlett Packard Enterprise Company|US
HP Inc.|US
Société Générale S.A.|FR
Koninklijke Philips N.V.|NL
Phillips 66 Company|US
Volkswagen AG|DE
Volkswagen Financial Services AG|DE
Johnson & Johnson|US
Johnson Controls International plc|IE
Procter & Gamble Co.|US
AT&T Inc.|US
Marks and Spencer Group plc|UK
McDonald's Corporation|US
United Airlines Holdings, Inc.|US
UnitedHealth Group Incorporated|US
First Republic Bank|US
First National Bank of Omaha|US
Northern Trust Corporation|US
Northern Rock plc|UK
Apple Inc.|US
Apple Bank for Savings|US
Amazon.com, Inc.|US
Amazon Web Services, Inc.|US
Meta Platforms, Inc.|US
Metaswitch Networks Ltd|UK
Oracle Corporation|US
Siemens AG|DE
Siemens Healthineers AG|DE
Siemens Energy AG|DE
Deutsche Bank AG|DE
Deutsche Börse AG|DE
Deutsche Telekom AG|DE
Deutsche Post AG|DE
Royal Bank of Canada|CA
Royal Bank of Scotland plc|UK
Bank of America Corporation|US
Bank of Montreal|CA
Bank of China Limited|CN
National Grid plc|UK
National Instruments Corporation|US
Capital One Financial Corporation|US
Capital Group Companies, Inc.|US
Mitsubishi Electric Corporation|JP
Mitsubishi Heavy Industries, Ltd.|JP
Mitsubishi UFJ Financial Group, Inc.|JP
Sony Group Corporation|JP
Sonos, Inc.|US
Intel Corporation|US
Intuit Inc.|US
Accenture plc|IE
Accenture Federal Services LLC|US
Ernst & Young Global Limited|UK
KPMG International Limited|NL
PricewaterhouseCoopers LLP|UK
Deloitte Touche Tohmatsu Limited|UK
Deloitte Consulting LLP|US
Morgan Stanley|US
JPMorgan Chase & Co.|US
Morgan, Lewis & Bockius LLP|US
Goldman Sachs Group, Inc.|US
Wells Fargo & Company|US
Fidelity Investments|US
Fidelity National Financial, Inc.|US
Liberty Mutual Insurance Company|US
Liberty Global plc|UK
Allianz SE|DE
Alliance Data Systems Corporation|US
ING Groep N.V.|NL
Ingram Micro Inc.|US
Nordea Bank Abp|FI
Nordstrom, Inc.|US
Unilever PLC|UK
Univar Solutions Inc.|US
Tata Consultancy Services Limited|IN
Tata Motors Limited|IN
Tata Steel Limited|IN
Samsung Electronics Co., Ltd.|KR
Samsung SDS Co., Ltd.|KR
LG Electronics Inc.|KR
LG Chem, Ltd.|KR
3M Company|US
ABB Ltd|CH
BASF SE|DE
BASF Coatings GmbH|DE
Infosys Limited|IN
Wipro Limited|IN
Standard Chartered PLC|UK
Standard Life Aberdeen plc|UK
Banco do Brasil S.A.|BR
Banco Santander, S.A.|ES
Santander UK plc|UK
Air France-KLM S.A.|FR
Air Canada|CA
Air India Limited|IN
China Mobile Limited|CN
China Telecom Corporation Limited|CN
Nestlé S.A.|CH
L'Oréal S.A.|FR
Crédit Agricole S.A.|FR
Crédit Suisse Group AG|CH
BNP Paribas S.A.|FR
Zürich Insurance Group AG|CH
Škoda Auto a.s.|CZ
Bayerische Motoren Werke AG|DE
Daimler Truck Holding AG|DE
Mercedes-Benz Group AG|DE
Robert Bosch GmbH|DE
Continental AG|DE
Continental Airlines|US
SAP SE|DE
Adidas AG|DE
Puma SE|DE
Henkel AG & Co. KGaA|DE
Bayer AG|DE
Merck KGaA|DE
Merck & Co., Inc.|US
Novartis AG|CH
Roche Holding AG|CH
Novo Nordisk A/S|DK
Maersk A/S|DK
Carlsberg A/S|DK
LEGO A/S|DK
Equinor ASA|NO
Telenor ASA|NO
Spotify Technology S.A.|SE
Ericsson AB|SE
Volvo Car AB|SE
AB Volvo|SE
IKEA of Sweden AB|SE
H&M Hennes & Mauritz AB|SE
Nokia Oyj|FI
Kone Oyj|FI
Heineken N.V.|NL
ASML Holding N.V.|NL
Koninklijke Ahold Delhaize N.V.|NL
Koninklijke KPN N.V.|NL
Booking Holdings Inc.|US
Adyen N.V.|NL
Randstad N.V.|NL
Wolters Kluwer N.V.|NL
Shell plc|UK
BP p.l.c.|UK
Vodafone Group Plc|UK
Barclays PLC|UK
HSBC Holdings plc|UK
Lloyds Banking Group plc|UK
Tesco PLC|UK
Sainsbury's Supermarkets Ltd|UK
Rolls-Royce Holdings plc|UK
Rolls-Royce Motor Cars Limited|UK
BAE Systems plc|UK
GlaxoSmithKline plc|UK
AstraZeneca PLC|UK
Diageo plc|UK
Reckitt Benckiser Group plc|UK
Rio Tinto Group|UK
Anglo American plc|UK
British American Tobacco p.l.c.|UK
British Airways Plc|UK
British Telecommunications plc|UK
Ocado Group plc|UK
Deliveroo plc|UK
Monzo Bank Ltd|UK
Revolut Ltd|UK
Wise plc|UK
Arm Holdings plc|UK
Darktrace plc|UK
Sage Group plc|UK
TotalEnergies SE|FR
Airbus SE|FR
Danone S.A.|FR
Schneider Electric SE|FR
Saint-Gobain S.A.|FR
Capgemini SE|FR
Dassault Systèmes SE|FR
Dassault Aviation S.A.|FR
Michelin SCA|FR
Renault S.A.|FR
Peugeot Invest S.A.|FR
Orange S.A.|FR
Carrefour S.A.|FR
Thales S.A.|FR
Publicis Groupe S.A.|FR
Moët Hennessy Louis Vuitton SE|FR
Hermès International S.A.|FR
Eni S.p.A.|IT
Enel S.p.A.|IT
Intesa Sanpaolo S.p.A.|IT
UniCredit S.p.A.|IT
Ferrari N.V.|IT
Pirelli & C. S.p.A.|IT
Telefónica, S.A.|ES
Iberdrola, S.A.|ES
Inditex S.A.|ES
Repsol, S.A.|ES
Banco Bilbao Vizcaya Argentaria, S.A.|ES
Nestlé Purina PetCare Company|US
Zalando SE|DE
Delivery Hero SE|DE
N26 GmbH|DE
Celonis SE|DE
Personio SE & Co. KG|DE
HelloFresh SE|DE
Trivago N.V.|DE
Software AG|DE
TeamViewer SE|DE
Infineon Technologies AG|DE
Infinera Corporation|US
Qualcomm Incorporated|US
Qualtrics International Inc.|US
Microsoft Corporation|US
Alphabet Inc.|US
Google LLC|US
Netflix, Inc.|US
Salesforce, Inc.|US
Adobe Inc.|US
Atlassian Corporation|AU
Canva Pty Ltd|AU
Commonwealth Bank of Australia|AU
Westpac Banking Corporation|AU
BHP Group Limited|AU
Telstra Group Limited|AU
Shopify Inc.|CA
Lululemon Athletica Inc.|CA
Thomson Reuters Corporation|CA
Toyota Motor Corporation|JP
Honda Motor Co., Ltd.|JP
Nissan Motor Co., Ltd.|JP
Hitachi, Ltd.|JP
Panasonic Holdings Corporation|JP
Fujitsu Limited|JP
Rakuten Group, Inc.|JP
Nintendo Co., Ltd.|JP
Reliance Industries Limited|IN
HDFC Bank Limited|IN
ICICI Bank Limited|IN
Mahindra & Mahindra Ltd.|IN
Larsen & Toubro Limited|IN
Petróleo Brasileiro S.A.|BR
Itaú Unibanco Holding S.A.|BR
Natura &Co Holding S.A.|BR
Grupo Bimbo, S.A.B. de C.V.|MX
América Móvil, S.A.B. de C.V.|MX
Cemex, S.A.B. de C.V.|MX
Alibaba Group Holding Limited|CN
Tencent Holdings Limited|CN
Huawei Technologies Co., Ltd.|CN
Lenovo Group Limited|HK
DBS Group Holdings Ltd|SG
Grab Holdings Limited|SG
Singapore Airlines Limited|SG
Emirates Group|AE
Teva Pharmaceutical Industries Ltd.|IL
Check Point Software Technologies Ltd.|IL
Naspers Limited|ZA
Stripe, Inc.|US
Snowflake Inc.|US
Datadog, Inc.|US
MongoDB, Inc.|US
HashiCorp, Inc.|US
Twilio Inc.|US
Zoom Video Communications, Inc.|US
Slack Technologies, LLC|US
Dropbox, Inc.|US
Airbnb, Inc.|US
Uber Technologies, Inc.|US
Lyft, Inc.|US
DoorDash, Inc.|US
Palantir Technologies Inc.|US
Cloudflare, Inc.|US
Okta, Inc.|US
CrowdStrike Holdings, Inc.|US
Palo Alto Networks, Inc.|US
Fortinet, Inc.|US
ServiceNow, Inc.|US
Workday, Inc.|US
Autodesk, Inc.|US
Intuitive Surgical, Inc.|US
Medtronic plc|IE
Abbott Laboratories|US
Pfizer Inc.|US
Moderna, Inc.|US
Eli Lilly and Company|US
Bristol-Myers Squibb Company|US
Kaiser Permanente|US
Mayo Clinic|US
Cleveland Clinic Foundation|US
Walmart Inc.|US
Target Corporation|US
The Home Depot, Inc.|US
Lowe's Companies, Inc.|US
Costco Wholesale Corporation|US
The Kroger Co.|US
Starbucks Corporation|US
The Coca-Cola Company|US
PepsiCo, Inc.|US
Kraft Heinz Company|US
Mondelez International, Inc.|US
Ben & Jerry's Homemade, Inc.|US
Nike, Inc.|US
The Walt Disney Company|US
Warner Bros. Discovery, Inc.|US
Comcast Corporation|US
Verizon Communications Inc.|US
T-Mobile US, Inc.|US
Boeing Company|US
Lockheed Martin Corporation|US
Raytheon Technologies Corporation|US
Northrop Grumman Corporation|US
Caterpillar Inc.|US
Deere & Company|US
Ford Motor Company|US
Tesla, Inc.|US
Exxon Mobil Corporation|US
Chevron Corporation|US
ConocoPhillips|US
Halliburton Company|US
Baker Hughes Company|US
FedEx Corporation|US
United Parcel Service, Inc.|US
Visa Inc.|US
Mastercard Incorporated|US
PayPal Holdings, Inc.|US
Charles Schwab Corporation|US
BlackRock, Inc.|US
State Street Corporation|US
Berkshire Hathaway Inc.|US
Marriott International, Inc.|US
Hilton Worldwide Holdings Inc.|US
Expedia Group, Inc.|US
Hertz Global Holdings, Inc.|US
Avis Budget Group, Inc.|US
Ecolab Inc.|US
Sherwin-Williams Company|US
Dow Inc.|US
DuPont de Nemours, Inc.|US
Dun & Bradstreet Holdings, Inc.|US
S&P Global Inc.|US
Moody's Corporation|US
Stanford University|US
Massachusetts Institute of Technology|US
University of Oxford|UK
ETH Zürich|CH
Max-Planck-Gesellschaft zur Förderung der Wissenschaften e.V.|DE
Fraunhofer-Gesellschaft e.V.|DE
"""


@dataclass(frozen=True, slots=True)
class CrmCompany:
    id: int
    name: str
    country: str


CRM: tuple[CrmCompany, ...] = tuple(
    CrmCompany(i, *line.split("|")) for i, line in enumerate(_CRM_TEXT.strip().splitlines(), start=1)
)
_BY_NAME = {c.name: c for c in CRM}


def company_id(name: str) -> int:
    return _BY_NAME[name].id


#: Confusable companies that exist together in the CRM: a typed variant of one must never be
#: auto-accepted as another member of its group.
HARD_NEGATIVE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Bank of the West", "Bank of the East"),
    ("Acme Corporation", "Acme Labs Inc.", "Acme UK Ltd"),
    ("Schlumberger Holdings Corporation", "Schlumberger Technology Corporation"),
    ("Delta Air Lines, Inc.", "Delta Dental Plans Association"),
    ("American Express Company", "American Airlines Group Inc."),
    ("General Electric Company", "General Motors Company", "General Mills, Inc."),
    ("Hewlett Packard Enterprise Company", "HP Inc."),
    ("Koninklijke Philips N.V.", "Phillips 66 Company"),
    ("Volkswagen AG", "Volkswagen Financial Services AG"),
    ("Johnson & Johnson", "Johnson Controls International plc"),
    ("United Airlines Holdings, Inc.", "UnitedHealth Group Incorporated"),
    ("First Republic Bank", "First National Bank of Omaha"),
    ("Northern Trust Corporation", "Northern Rock plc"),
    ("Apple Inc.", "Apple Bank for Savings"),
    ("Amazon.com, Inc.", "Amazon Web Services, Inc."),
    ("Meta Platforms, Inc.", "Metaswitch Networks Ltd"),
    ("Siemens AG", "Siemens Healthineers AG", "Siemens Energy AG"),
    ("Deutsche Bank AG", "Deutsche Börse AG", "Deutsche Telekom AG", "Deutsche Post AG"),
    ("Royal Bank of Canada", "Royal Bank of Scotland plc"),
    ("Bank of America Corporation", "Bank of Montreal", "Bank of China Limited"),
    ("National Grid plc", "National Instruments Corporation"),
    ("Capital One Financial Corporation", "Capital Group Companies, Inc."),
    ("Mitsubishi Electric Corporation", "Mitsubishi Heavy Industries, Ltd.", "Mitsubishi UFJ Financial Group, Inc."),
    ("Sony Group Corporation", "Sonos, Inc."),
    ("Intel Corporation", "Intuit Inc."),
    ("Accenture plc", "Accenture Federal Services LLC"),
    ("Deloitte Touche Tohmatsu Limited", "Deloitte Consulting LLP"),
    ("Morgan Stanley", "JPMorgan Chase & Co.", "Morgan, Lewis & Bockius LLP"),
    ("Fidelity Investments", "Fidelity National Financial, Inc."),
    ("Liberty Mutual Insurance Company", "Liberty Global plc"),
    ("Allianz SE", "Alliance Data Systems Corporation"),
    ("ING Groep N.V.", "Ingram Micro Inc."),
    ("Nordea Bank Abp", "Nordstrom, Inc."),
    ("Unilever PLC", "Univar Solutions Inc."),
    ("Tata Consultancy Services Limited", "Tata Motors Limited", "Tata Steel Limited"),
    ("Samsung Electronics Co., Ltd.", "Samsung SDS Co., Ltd."),
    ("LG Electronics Inc.", "LG Chem, Ltd."),
    ("BASF SE", "BASF Coatings GmbH"),
    ("Standard Chartered PLC", "Standard Life Aberdeen plc"),
    ("Banco do Brasil S.A.", "Banco Santander, S.A.", "Santander UK plc"),
    ("Air France-KLM S.A.", "Air Canada", "Air India Limited"),
    ("China Mobile Limited", "China Telecom Corporation Limited"),
    ("Crédit Agricole S.A.", "Crédit Suisse Group AG"),
    ("Daimler Truck Holding AG", "Mercedes-Benz Group AG"),
    ("Continental AG", "Continental Airlines"),
    ("Merck KGaA", "Merck & Co., Inc."),
    ("Volvo Car AB", "AB Volvo"),
    ("Rolls-Royce Holdings plc", "Rolls-Royce Motor Cars Limited"),
    ("British American Tobacco p.l.c.", "British Airways Plc", "British Telecommunications plc", "Anglo American plc"),
    ("Dassault Systèmes SE", "Dassault Aviation S.A."),
    ("Nestlé S.A.", "Nestlé Purina PetCare Company"),
    ("Infineon Technologies AG", "Infinera Corporation"),
    ("Qualcomm Incorporated", "Qualtrics International Inc."),
    ("Alphabet Inc.", "Google LLC"),
    ("Toyota Motor Corporation", "Honda Motor Co., Ltd.", "Nissan Motor Co., Ltd."),
    ("Intuitive Surgical, Inc.", "Intuit Inc."),
    ("Mayo Clinic", "Cleveland Clinic Foundation"),
    ("Exxon Mobil Corporation", "China Mobile Limited"),
    ("Hertz Global Holdings, Inc.", "Liberty Global plc"),
    ("Palo Alto Networks, Inc.", "Metaswitch Networks Ltd"),
)


#: Real companies that are not in the CRM, many sharing words with CRM companies.
NOT_IN_CRM: tuple[str, ...] = (
    "Bank of the North", "Bank of the South", "Bank of the Ozarks", "Acme Robotics", "Acme Brick Company",
    "Schlumberger Foundation", "Delta Faucet Company", "Delta Electronics", "American Eagle Outfitters",
    "American Tower Corporation", "General Dynamics", "General Atlantic", "Hewlett Foundation",
    "Philips 76 Records", "Volkswagen Bank", "Johnson Matthey", "United Rentals", "First Solar",
    "Northern Star Resources", "Apple Leisure Group", "Amazonas Energia", "Metabase", "Oracle Capital Group",
    "Siemens Gamesa", "Deutsche Lufthansa", "Royal Mail", "Royal Caribbean Group", "Bank of Ireland",
    "National Express", "Capital Power", "Mitsubishi Motors", "Sony Music Publishing", "Intelsat",
    "Accenture Song", "Ernst Klett Verlag", "Morgan Sindall", "Goldman Properties", "Wells Real Estate",
    "Fidelity Bank Nigeria", "Liberty Steel", "Alliance Boots", "ING Direct Australia", "Nordex SE",
    "Univision Communications", "Tata Power", "Samsung Biologics", "LG Display", "ABB Optical Group",
    "BASF Agricultural Solutions", "Standard Bank Group", "Banco Popular", "Air New Zealand", "China Unicom",
    "Credit Karma", "Continental Resources", "Merck Millipore", "Volvo Penta", "British Gas",
    "Anglo Irish Bank", "Dassault Falcon Jet", "Infinity Works", "Qualys", "Mayo Foundation for Medical Education",
    "Toyota Tsusho", "Honda Aircraft Company", "Global Payments Inc", "Palo Alto Research Center",
    "Figma", "Notion Labs", "Linear Orbit", "Vercel", "Supabase", "Miro", "Personio Foundation",
    "Rivian Automotive", "Lucid Group", "Klarna Bank", "Northvolt", "Mistral AI", "Hugging Face",
    "Zebra Technologies", "Pinecone Systems", "Acme Sausage Company", "Sony Ericsson", "Nestor Partners",
    "Heinz Nixdorf Stiftung", "Shell Shock Games", "Orange County Choppers", "Target Logistics",
    "Visa Global Logistics", "Stripes Convenience Stores", "Snowflake Software Ltd", "Twillory",
    "Okta Hotels", "Lyft Ventures", "Dropcam", "Tesla Exploration", "Chevron Phillips Chemical",
)

#: Inputs that are not a company at all.
JUNK: tuple[str, ...] = (
    "n/a", "N/A", "none", "None", "-", "--", ".", "self", "Self-employed", "freelance", "Freelancer",
    "personal", "Student", "test", "TEST", "asdf", "private", "Independent", "unemployed", "retired",
    "na", "null", "tbd", "Home", "me", "My company", "xxx", "?", "", "   ", "0", "123",
)

_LEGAL_BY_COUNTRY = {
    "US": ["Inc.", "Inc", ", Inc.", "LLC", "Corp.", "Corporation", "Co."],
    "UK": ["Ltd", "Ltd.", "Limited", "plc", "PLC", "LLP"],
    "IE": ["Ltd", "plc", "Limited"],
    "DE": ["GmbH", "AG", "SE", "GmbH & Co. KG", "e.V."],
    "NL": ["B.V.", "N.V.", "BV"],
    "FR": ["SA", "S.A.", "SAS", "SARL"],
    "CH": ["AG", "SA", "GmbH"],
    "ES": ["S.A.", "S.L."],
    "IT": ["S.p.A.", "SpA", "S.r.l."],
    "SE": ["AB", "AB (publ)"],
    "DK": ["A/S", "ApS"],
    "NO": ["ASA", "AS"],
    "FI": ["Oy", "Oyj"],
    "JP": ["Co., Ltd.", "K.K.", "Corporation"],
    "KR": ["Co., Ltd.", "Inc."],
    "IN": ["Ltd", "Pvt Ltd", "Private Limited"],
    "BR": ["S.A.", "Ltda."],
    "MX": ["S.A. de C.V.", "SA de CV"],
    "AU": ["Pty Ltd", "Limited"],
    "CA": ["Inc.", "Ltd."],
    "CN": ["Co., Ltd.", "Limited"],
    "HK": ["Limited"],
    "SG": ["Pte Ltd", "Pte. Ltd."],
    "AE": ["LLC", "FZE"],
    "IL": ["Ltd."],
    "ZA": ["(Pty) Ltd"],
    "CZ": ["a.s.", "s.r.o."],
}
_PLACES = {
    "US": ["New York", "San Francisco", "Chicago", "Austin", "Boston", "Seattle", "USA", "US"],
    "UK": ["London", "Manchester", "UK", "(UK)", "Edinburgh"],
    "IE": ["Dublin", "Ireland"],
    "DE": ["Berlin", "München", "Hamburg", "Germany", "Deutschland", "DACH"],
    "NL": ["Amsterdam", "Eindhoven", "Netherlands", "Benelux"],
    "FR": ["Paris", "France", "Lyon"],
    "CH": ["Zürich", "Basel", "Switzerland", "Schweiz"],
    "ES": ["Madrid", "Barcelona", "España"],
    "IT": ["Milano", "Italia", "Rome"],
    "SE": ["Stockholm", "Sverige", "Nordics"],
    "DK": ["Copenhagen", "Danmark"],
    "NO": ["Oslo", "Norway"],
    "FI": ["Helsinki", "Finland"],
    "JP": ["Tokyo", "Japan", "Osaka"],
    "KR": ["Seoul", "Korea"],
    "IN": ["Bangalore", "Mumbai", "India", "Pune"],
    "BR": ["São Paulo", "Brasil"],
    "MX": ["Mexico", "LATAM"],
    "AU": ["Sydney", "Melbourne", "Australia", "ANZ"],
    "CA": ["Toronto", "Canada", "Vancouver"],
    "CN": ["Shanghai", "Beijing", "China"],
    "HK": ["Hong Kong"],
    "SG": ["Singapore", "APAC"],
    "AE": ["Dubai", "UAE"],
    "IL": ["Tel Aviv", "Israel"],
    "ZA": ["Cape Town", "South Africa"],
    "CZ": ["Prague", "Czech"],
}
_TEAMS = ["Marketing", "Sales", "Data Team", "Engineering", "IT", "HR", "Design", "Product", "Analytics",
          "Finance", "Security", "Ops", "Growth", "Research", "Support", "Platform"]
_SLUG_TEAMS = ["data-team", "eng", "marketing", "growth", "ops", "sales-emea", "prod", "analytics", "it", "design",
               "platform-team", "ml"]
_ABBREVIATIONS = [
    (r"\bInternational\b", "Intl"), (r"\bInternational\b", "Int'l"), (r"\bTechnologies\b", "Tech"),
    (r"\bTechnology\b", "Tech"), (r"\bLaboratories\b", "Labs"), (r"\bManufacturing\b", "Mfg"),
    (r"\bCompany\b", "Co"), (r"\bCorporation\b", "Corp"), (r"\bServices\b", "Svcs"), (r"\bSystems\b", "Sys"),
    (r"\bHoldings\b", "Hldgs"), (r"\bCommunications\b", "Comms"), (r"\bAssociation\b", "Assn"),
    (r"\bUniversity\b", "Univ."), (r"\bBrothers\b", "Bros."), (r"\bGroup\b", "Grp"),
]
_LEGAL_TAIL = re.compile(
    r"(,?\s+(Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|LLC|LLP|Ltd\.?|Limited|plc|PLC|Plc|p\.l\.c\.|"
    r"AG|SE|GmbH|KGaA|& Co\. KGaA|& Co\. KG|e\.V\.|N\.V\.|B\.V\.|S\.A\.|SA|SCA|S\.p\.A\.|A/S|ASA|AB|Abp|Oyj|"
    r"Co\., Ltd\.|Pty Ltd|S\.A\.B\. de C\.V\.|a\.s\.))+$"
)
_KEYBOARD = {
    "a": "qsz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}


@dataclass(frozen=True, slots=True)
class TypedName:
    text: str
    company_id: int | None  # the truth: the company meant, or None (not in the CRM / junk)
    variant: str  # how it was derived
    source: str  # the CRM name (or the outside name) it came from

    @property
    def hard_negative_group(self) -> tuple[int, ...]:
        """Ids of CRM companies confusable with this name's company (excluding it)."""
        if self.company_id is None:
            return ()
        return _CONFUSABLE.get(self.company_id, ())


def _confusables() -> dict[int, tuple[int, ...]]:
    result: dict[int, set[int]] = {}
    for group in HARD_NEGATIVE_GROUPS:
        ids = [company_id(name) for name in group]
        for i in ids:
            result.setdefault(i, set()).update(x for x in ids if x != i)
    return {k: tuple(sorted(v)) for k, v in result.items()}


_CONFUSABLE = _confusables()


# --- variants -----------------------------------------------------------------------------------


def base_name(name: str) -> str:
    """The name without its legal form: "Delta Air Lines, Inc." -> "Delta Air Lines"."""
    stripped = _LEGAL_TAIL.sub("", name).strip(" ,")
    return stripped or name


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def typo(word: str, rng: random.Random) -> str:
    """One realistic keyboard slip: swapped neighbours, dropped, doubled or neighbouring key."""
    if len(word) < 3:
        return word
    pos = rng.randrange(1, len(word) - 1)  # people rarely get the first letter wrong
    kind = rng.choice(["swap", "drop", "double", "key"])
    if kind == "swap" and word[pos] != word[pos + 1 if pos + 1 < len(word) else pos - 1]:
        k = pos if pos + 1 < len(word) else pos - 1
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    if kind == "drop":
        return word[:pos] + word[pos + 1 :]
    if kind == "double":
        return word[:pos] + word[pos] + word[pos:]
    near = _KEYBOARD.get(word[pos].lower())
    if not near:
        return word[:pos] + word[pos + 1 :]
    return word[:pos] + rng.choice(near) + word[pos + 1 :]


def _v_exact(c: CrmCompany, rng: random.Random) -> str | None:
    return c.name


def _v_case(c: CrmCompany, rng: random.Random) -> str | None:
    return rng.choice([str.upper, str.lower])(rng.choice([c.name, base_name(c.name)]))


def _v_legal(c: CrmCompany, rng: random.Random) -> str | None:
    base = base_name(c.name)
    form = rng.choice(_LEGAL_BY_COUNTRY.get(c.country, ["Inc."]) + [""])
    if not form:
        return base if base != c.name else None
    return f"{base}{form}" if form.startswith(",") else f"{base} {form}"


def _v_typo(c: CrmCompany, rng: random.Random) -> str | None:
    words = base_name(c.name).split()
    candidates = [i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= 4]
    if not candidates:
        return None
    # longer words are more likely to be mistyped
    i = rng.choices(candidates, weights=[len(words[i]) for i in candidates])[0]
    words[i] = typo(words[i], rng)
    return " ".join(words)


def _v_ampersand(c: CrmCompany, rng: random.Random) -> str | None:
    if " & " in c.name:
        return c.name.replace(" & ", " and ")
    if " and " in c.name:
        return c.name.replace(" and ", " & ")
    return None


def _v_accents(c: CrmCompany, rng: random.Random) -> str | None:
    stripped = _strip_accents(c.name)
    return stripped if stripped != c.name else None


def _v_spacing(c: CrmCompany, rng: random.Random) -> str | None:
    base = base_name(c.name)
    if "-" in base:
        return base.replace("-", rng.choice([" ", ""]))
    words = base.split()
    if len(words) < 2:
        return None
    i = rng.randrange(len(words) - 1)
    return " ".join(words[:i] + [words[i] + rng.choice(["-", ""]) + words[i + 1]] + words[i + 2 :])


def _v_the(c: CrmCompany, rng: random.Random) -> str | None:
    if c.name.startswith("The "):
        return c.name[4:]
    return "The " + base_name(c.name)


def _v_place(c: CrmCompany, rng: random.Random) -> str | None:
    place = rng.choice(_PLACES.get(c.country, ["Global"]))
    base = base_name(c.name)
    return rng.choice([f"{base} {place}", f"{base} - {place}", f"{base} {place} {rng.choice(['Ltd', 'GmbH', 'Inc'])}"])


def _v_workspace(c: CrmCompany, rng: random.Random) -> str | None:
    base = base_name(c.name)
    if rng.random() < 0.5:
        slug = re.sub(r"[^a-z0-9]+", "-", _strip_accents(base).lower()).strip("-")
        return f"{slug}-{rng.choice(_SLUG_TEAMS)}"
    return f"{base} {rng.choice(_TEAMS)}"


def _v_abbreviation(c: CrmCompany, rng: random.Random) -> str | None:
    options = [(p, r) for p, r in _ABBREVIATIONS if re.search(p, c.name)]
    if options:
        pattern, replacement = rng.choice(options)
        return re.sub(pattern, replacement, c.name)
    words = [w for w in re.split(r"[\s\-]+", base_name(c.name)) if w[:1].isupper()]
    if len(words) >= 3:
        return "".join(w[0] for w in words)  # "International Business Machines" -> "IBM"
    return None


_CONNECTORS = {"of", "the", "and", "&", "for", "de", "-"}


def _simple_key(text: str) -> str:
    return " ".join(_strip_accents(base_name(text)).lower().replace(",", "").split())


_SIMPLE_KEYS = {_simple_key(c.name) for c in CRM}


def _v_shortened(c: CrmCompany, rng: random.Random) -> str | None:
    """The name cut after its first word(s), as people shorten it - unless the short form is itself
    another CRM company's name ("Siemens" for "Siemens Energy AG"): then nobody could know."""
    words = base_name(c.name).split()
    if len(words) < 2:
        return None
    words = words[:-1]
    while words and words[-1].lower() in _CONNECTORS:
        words.pop()
    if not words or _simple_key(" ".join(words)) in _SIMPLE_KEYS:
        return None
    return " ".join(words)


VARIANTS: dict[str, Callable[[CrmCompany, random.Random], str | None]] = {
    "exact": _v_exact,
    "case": _v_case,
    "legal_form": _v_legal,
    "typo": _v_typo,
    "ampersand": _v_ampersand,
    "accents": _v_accents,
    "spacing": _v_spacing,
    "the": _v_the,
    "place": _v_place,
    "workspace": _v_workspace,
    "abbreviation": _v_abbreviation,
    "shortened": _v_shortened,
}
# how often people type each kind of variant (relative)
VARIANT_WEIGHTS = {
    "exact": 10, "case": 8, "legal_form": 12, "typo": 10, "ampersand": 3, "accents": 3, "spacing": 5,
    "the": 2, "place": 7, "workspace": 9, "abbreviation": 4, "shortened": 4,
}


def variant(company: CrmCompany, kind: str, rng: random.Random) -> str | None:
    return VARIANTS[kind](company, rng)


def typed_names(seed: int = 20240611, per_company: int = 2) -> list[TypedName]:
    """The labelled typed names: ``per_company`` variants of each CRM company, every applicable
    rule-specific variant (ampersand, accents) once, outside companies (two spellings each) and junk."""
    rng = random.Random(seed)
    kinds = list(VARIANT_WEIGHTS)
    weights = [VARIANT_WEIGHTS[k] for k in kinds]
    names: list[TypedName] = []
    for company in CRM:
        seen: set[str] = set()
        wanted = per_company
        attempts = 0
        while wanted and attempts < 20:
            attempts += 1
            kind = rng.choices(kinds, weights=weights)[0]
            text = variant(company, kind, rng)
            if text and text not in seen:
                seen.add(text)
                names.append(TypedName(text, company.id, kind, company.name))
                wanted -= 1
        for kind in ("ampersand", "accents"):
            text = variant(company, kind, rng)
            if text and text not in seen:
                seen.add(text)
                names.append(TypedName(text, company.id, kind, company.name))
    for outside in NOT_IN_CRM:
        names.append(TypedName(outside, None, "not_in_crm", outside))
        spelled = rng.choice([outside.upper(), outside.lower(), f"{outside} Inc.", f"{outside} Ltd"])
        names.append(TypedName(spelled, None, "not_in_crm", outside))
    names.extend(TypedName(text, None, "junk", text) for text in JUNK)
    return names


# --- evaluation ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Quality:
    """Quality of decisions over a labelled set.

    * auto precision = auto-accepted decisions naming the labelled company / all auto-accepted
      decisions (an auto-accept of a name labelled None is wrong);
    * recall = labelled-positive names whose decision is auto or review *and* proposes the labelled
      company (for an ambiguous review, either of the two companies offered to the reviewer)
      / all labelled-positive names;
    * auto recall = labelled-positive names auto-accepted to the labelled company / all positives.
    """

    total: int = 0
    positives: int = 0
    auto: int = 0
    auto_correct: int = 0
    recalled: int = 0
    review: int = 0
    none: int = 0
    wrong_auto: list[tuple[TypedName, object]] | None = None
    missed: list[tuple[TypedName, object]] | None = None
    hard_negative_autos: list[tuple[TypedName, object]] | None = None

    @property
    def auto_precision(self) -> float:
        return self.auto_correct / self.auto if self.auto else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.positives if self.positives else 1.0

    @property
    def auto_recall(self) -> float:
        return self.auto_correct / self.positives if self.positives else 1.0

    def summary(self) -> str:
        return (
            f"{self.total} typed names ({self.positives} labelled with a company): "
            f"auto {self.auto}, review {self.review}, none {self.none}; "
            f"auto precision {self.auto_precision:.4f}, recall (auto+review) {self.recall:.4f}, "
            f"auto recall {self.auto_recall:.4f}, wrong autos {len(self.wrong_auto or [])}, "
            f"hard-negative autos {len(self.hard_negative_autos or [])}"
        )


def evaluate(names: list[TypedName], decisions: list) -> Quality:
    """Score ``decisions`` (accounts.matching.Decision, same order as ``names``) against the labels."""
    q = Quality(wrong_auto=[], missed=[], hard_negative_autos=[])
    for name, decision in zip(names, decisions, strict=True):
        q.total += 1
        band = str(decision.band)
        q.auto += band == "auto"
        q.review += band == "review"
        q.none += band == "none"
        if band == "auto":
            if decision.company_id == name.company_id:
                q.auto_correct += 1
            else:
                q.wrong_auto.append((name, decision))
                if name.company_id is None or decision.company_id in name.hard_negative_group:
                    q.hard_negative_autos.append((name, decision))
        if name.company_id is None:
            continue
        q.positives += 1
        offered = {decision.company_id}
        if decision.ambiguous and decision.runner_up is not None:
            offered.add(decision.runner_up.company_id)
        if band in ("auto", "review") and name.company_id in offered:
            q.recalled += 1
        else:
            q.missed.append((name, decision))
    return q
