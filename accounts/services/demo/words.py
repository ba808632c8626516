"""Compact word lists the demo generator draws from (no Faker at run time).

Brand stems combine into several hundred thousand distinct company names; people's names
follow the company's country so a German subsidiary's users look German.
"""

# Synthetic brand names: START + (MIDDLE) + END ("Calvora", "Nexadium"), or WORD + PLACE ("Northgate").
BRAND_STARTS = (
    "Ab", "Ac", "Al", "Am", "Ar", "As", "Au", "Bel", "Bri", "Cal", "Cam", "Car", "Cel", "Cor", "Cy", "Dal",
    "Dex", "Dor", "Ev", "Fal", "Fen", "Gal", "Gen", "Hal", "Hel", "Hor", "In", "Is", "Jun", "Kal", "Kin",
    "Lan", "Lum", "Mar", "Med", "Mer", "Nov", "Nex", "Oc", "Om", "Or", "Pal", "Pol", "Quan", "Ral", "Rom",
    "Sal", "Sel", "Sol", "Syn", "Tal", "Tel", "Ter", "Ul", "Val", "Ven", "Ver", "Vir", "Wen", "Xan", "Zen",
)
BRAND_MIDDLES = ("a", "e", "i", "o", "ri", "la", "ne", "vi", "ta", "do", "me", "ro")
BRAND_ENDS = (
    "a", "ar", "ara", "ex", "ia", "ico", "is", "ix", "on", "ora", "os", "um", "us", "ant", "ent", "eon",
    "ita", "ova", "yx", "ano", "ago", "iva", "ero", "ly", "io", "dium", "tek", "lux",
)
BRAND_WORDS = (
    "Blue", "North", "Silver", "Red", "Green", "Bright", "Clear", "Iron", "Stone", "Summit", "River", "Oak",
    "Pine", "Cedar", "Harbor", "Atlas", "Pioneer", "Granite", "Falcon", "Eagle", "Apex", "Vertex", "Crest",
    "Sterling", "Golden", "Swift", "True", "Union", "Liberty", "Prime", "Meridian", "Polar", "Coastal",
    "Pacific", "Atlantic", "Alpine", "Nordic", "Maple", "Copper", "Willow",
)
BRAND_PLACES = (
    "field", "stone", "wood", "bridge", "point", "gate", "view", "line", "wave", "path", "peak", "ridge",
    "haven", "light", "works", "mark", "port", "core", "dale", "brook",
)

# (industry, name nouns, revenue per employee in USD, share of employees who could use the product)
INDUSTRIES = (
    ("Software", ("Software", "Systems", "Labs", "Technologies", "Cloud"), 260_000, 0.70),
    ("Financial Services", ("Capital", "Financial", "Partners", "Investments"), 420_000, 0.45),
    ("Banking", ("Bank", "Banking", "Savings"), 380_000, 0.40),
    ("Insurance", ("Insurance", "Assurance", "Mutual"), 350_000, 0.40),
    ("Healthcare", ("Health", "Medical", "Care", "Clinics"), 160_000, 0.20),
    ("Pharmaceuticals", ("Pharma", "Biosciences", "Therapeutics"), 480_000, 0.35),
    ("Retail", ("Retail", "Stores", "Brands", "Outfitters"), 180_000, 0.10),
    ("Manufacturing", ("Manufacturing", "Industries", "Works", "Components"), 240_000, 0.18),
    ("Logistics", ("Logistics", "Freight", "Shipping"), 200_000, 0.15),
    ("Media", ("Media", "Studios", "Publishing"), 300_000, 0.50),
    ("Energy", ("Energy", "Power", "Renewables"), 600_000, 0.20),
    ("Telecommunications", ("Telecom", "Networks", "Communications"), 450_000, 0.35),
    ("Education", ("Learning", "Education", "Academy"), 110_000, 0.25),
    ("Consulting", ("Consulting", "Advisory", "Group"), 210_000, 0.60),
    ("Food & Beverage", ("Foods", "Beverages", "Kitchen"), 230_000, 0.08),
    ("Automotive", ("Motors", "Automotive", "Mobility"), 350_000, 0.15),
    ("Real Estate", ("Properties", "Realty", "Estates"), 500_000, 0.30),
    ("Travel & Hospitality", ("Travel", "Hotels", "Hospitality"), 140_000, 0.12),
)

# code, weight, top-level domain, legal suffixes, name used in subsidiary names, name culture
COUNTRIES = (
    ("US", 38, "com", ("Inc.", "Inc.", "LLC", "Corp.", "Corporation"), "US", "en"),
    ("GB", 10, "co.uk", ("Ltd", "Ltd", "Limited", "PLC"), "UK", "en"),
    ("DE", 9, "de", ("GmbH", "GmbH", "AG", "GmbH & Co. KG"), "Deutschland", "de"),
    ("FR", 6, "fr", ("S.A.", "SAS"), "France", "fr"),
    ("NL", 4, "nl", ("B.V.", "B.V.", "N.V."), "Nederland", "nl"),
    ("CA", 4, "ca", ("Inc.", "Ltd."), "Canada", "en"),
    ("IN", 4, "in", ("Pvt. Ltd.", "Ltd."), "India", "in"),
    ("ES", 3, "es", ("S.A.", "S.L."), "España", "es"),
    ("IT", 3, "it", ("S.p.A.", "S.r.l."), "Italia", "it"),
    ("AU", 3, "com.au", ("Pty Ltd",), "Australia", "en"),
    ("JP", 3, "co.jp", ("K.K.", "Co., Ltd."), "Japan", "jp"),
    ("BR", 3, "com.br", ("Ltda.", "S.A."), "Brasil", "pt"),
    ("CH", 2, "ch", ("AG", "SA"), "Schweiz", "de"),
    ("SE", 2, "se", ("AB",), "Sverige", "nordic"),
    ("IE", 1, "ie", ("Ltd", "DAC"), "Ireland", "en"),
    ("SG", 1, "com.sg", ("Pte. Ltd.",), "Singapore", "en"),
)

FIRST_NAMES = {
    "en": ("James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Sarah", "Daniel",
           "Emily", "Chris", "Jessica", "Matthew", "Ashley", "Andrew", "Olivia", "Ryan", "Grace", "Ethan",
           "Hannah", "Liam", "Chloe", "Noah", "Megan", "Aisha", "Kevin", "Rachel", "Tyler", "Zoe"),
    "de": ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Maximilian", "Marie", "Paul", "Laura",
           "Tobias", "Julia", "Jan", "Katrin", "Stefan", "Sabine", "Jürgen", "Lena"),
    "fr": ("Louis", "Camille", "Hugo", "Léa", "Lucas", "Manon", "Thomas", "Chloé", "Antoine", "Inès",
           "Julien", "Élodie", "Mathieu", "Claire"),
    "nl": ("Daan", "Emma", "Sem", "Julia", "Lars", "Sanne", "Bram", "Fleur", "Thijs", "Anouk", "Joost", "Eva"),
    "es": ("Pablo", "Lucía", "Alejandro", "María", "Javier", "Carmen", "Diego", "Elena", "Sergio", "Marta"),
    "it": ("Marco", "Giulia", "Alessandro", "Francesca", "Luca", "Chiara", "Matteo", "Sara", "Davide", "Elisa"),
    "in": ("Aarav", "Priya", "Rohan", "Ananya", "Arjun", "Divya", "Vikram", "Sneha", "Rahul", "Kavya",
           "Aditya", "Neha"),
    "jp": ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi", "Sakura", "Kenji", "Yuki"),
    "pt": ("João", "Ana", "Pedro", "Beatriz", "Lucas", "Mariana", "Gabriel", "Juliana", "Rafael", "Camila"),
    "nordic": ("Erik", "Astrid", "Lars", "Ingrid", "Oskar", "Elsa", "Nils", "Freja", "Anders", "Maja"),
}
LAST_NAMES = {
    "en": ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Clark",
           "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
           "Campbell", "Mitchell", "Roberts", "Carter", "Patel", "Nguyen", "Kim", "O'Brien", "Murphy"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann",
           "Schulz", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schröder"),
    "fr": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
           "Lefèvre", "Girard"),
    "nl": ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
           "Mulder"),
    "es": ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
           "Ruiz"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco"),
    "in": ("Sharma", "Verma", "Gupta", "Iyer", "Reddy", "Nair", "Mehta", "Kapoor", "Singh", "Rao", "Joshi"),
    "jp": ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi"),
    "pt": ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Ferreira", "Carvalho"),
    "nordic": ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsen", "Hansen"),
}

TITLES = (
    "Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "VP Engineering",
    "CTO", "Data Scientist", "Data Engineer", "Analytics Lead", "Head of Data", "Product Manager",
    "Director of Product", "Product Designer", "UX Researcher", "Marketing Manager", "Growth Marketer",
    "Head of Marketing", "CMO", "Sales Operations Manager", "Account Executive", "Customer Success Manager",
    "IT Administrator", "IT Director", "CIO", "Security Engineer", "DevOps Engineer", "Platform Engineer",
    "Finance Manager", "Controller", "CFO", "Operations Manager", "COO", "Project Manager", "Consultant",
    "Business Analyst", "Research Scientist", "Procurement Manager", "Founder", "CEO", "Intern",
)

DEPARTMENTS = (
    "Marketing", "Data", "Engineering", "Design", "Sales", "Finance", "Support", "Product", "Analytics",
    "Growth", "Ops", "IT", "Research", "Security", "Platform", "Legal", "People",
)
REGIONS = ("EU", "EMEA", "APAC", "NA", "LATAM", "DACH", "Nordics")
CITIES = ("London", "Berlin", "Paris", "Austin", "Boston", "Toronto", "Sydney", "Munich", "Madrid", "Dublin",
          "Singapore", "Chicago", "Amsterdam", "Zurich", "Tokyo", "Bangalore")
DIVISIONS = ("Retail", "Digital", "Logistics", "Financial Services", "Services", "Manufacturing", "Research",
             "Commercial", "Consumer", "Technology")

FREE_MAIL = ("gmail.com", "gmail.com", "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com",
             "proton.me")
SUBDOMAIN_PREFIXES = ("eu", "us", "corp", "mail", "de", "uk", "apac", "emea")
EXTRA_TLDS = ("io", "net", "co", "ai", "tech")
