"""Hand-written vocabularies for the blind phiscan evaluation set (stdlib only)."""

FIRST = [
    "Maria", "John", "Aaliyah", "DeShawn", "Priya", "Wei", "Nguyen", "Fatima", "Mohammed", "Olga",
    "Sean", "Keisha", "Hiroshi", "Yuki", "Carlos", "Guadalupe", "Ana", "José", "Zoë", "Chidi",
    "Ngozi", "Sione", "Leilani", "Dmitri", "Svetlana", "Tomasz", "Agnieszka", "Giulia", "Marco",
    "Ahmed", "Layla", "Ravi", "Anjali", "Kwame", "Abena", "Ingrid", "Lars", "Siobhan", "Padraig",
    "Emily", "Michael", "Jennifer", "Robert", "Linda", "James", "Patricia", "Tyrone", "Latoya",
    "Hector", "Rosa", "Thanh", "Minh", "Jae-won", "Soo-jin", "Elif", "Mehmet", "Noa", "Yosef",
    "Bridget", "Rahul", "Deepa", "Oluwaseun", "Tamika", "Brandon", "Ashley", "Dakota", "Cheyenne",
    "Esperanza", "Joaquín", "Françoise", "Björn", "Mei", "Lin", "Xavier", "Imani", "Jamal",
    "Shirley", "Gary", "Doris", "Earl", "Bernice", "Walter", "Gladys", "Harold",
]
LAST = [
    "Lopez", "Smith", "Johnson", "Okafor", "Patel", "Chen", "Tran", "Haddad", "Al-Sayed", "Ivanova",
    "O'Brien", "Washington", "Tanaka", "Nakamura", "Hernandez", "Ramirez", "García", "Nguyễn",
    "Kowalski", "Nowak", "Rossi", "Bianchi", "Khan", "Sharma", "Mensah", "Asante", "Johansson",
    "Murphy", "Fitzgerald", "Williams", "Brown", "Davis", "Miller", "Wilson", "Moore", "Taylor",
    "Jackson", "White", "Harris", "Martin", "Thompson", "Robinson", "Kim", "Park", "Yilmaz",
    "Cohen", "Levi", "Adeyemi", "Begay", "Yazzie", "Kealoha", "Fernández", "Dubois", "Lindqvist",
    "Wong", "MacDonald", "Schmidt", "Müller", "Gonzales", "Reyes", "Cruz", "Morales", "Ortiz",
    "Singh", "Das", "Bhattacharya", "Oyelaran", "Petrov", "Sokolov", "Novak", "Horvat", "Papadopoulos",
]
MIDDLE_INITIALS = list("ABCDEFGHJKLMNPRSTW")

# (lay/clinical wording, ICD-10 code) — codes used only where noted
CONDITIONS = [
    "type 2 diabetes", "T2DM", "diabetes", "CHF", "congestive heart failure", "COPD", "asthma",
    "hypertension", "HTN", "high blood pressure", "AFib", "atrial fibrillation", "depression", "MDD",
    "generalized anxiety disorder", "bipolar disorder", "schizophrenia", "HIV", "hep C", "chlamydia",
    "breast cancer", "prostate cancer", "stage 3 colon cancer", "CKD stage 4", "ESRD", "UTI",
    "pneumonia", "strep throat", "migraines", "epilepsy", "opioid use disorder", "OUD",
    "alcohol use disorder", "gestational diabetes", "Crohn's disease", "rheumatoid arthritis",
    "lupus", "multiple sclerosis", "Parkinson's", "dementia", "Alzheimer's", "PTSD", "ADHD",
    "sleep apnea", "DVT", "shingles", "COVID-19", "melanoma", "hypothyroidism", "osteoporosis",
    "gout", "iron deficiency anemia", "celiac disease", "genital herpes", "psoriasis", "endometriosis",
    "kidney stones", "torn ACL", "concussion", "NSTEMI", "CAD", "PE", "sepsis", "cellulitis",
    "pancreatitis", "cirrhosis", "GERD", "anorexia nervosa", "hidradenitis", "sickle cell disease",
]
ICD10 = ["E11.9", "I50.9", "J44.1", "F32.9", "C50.911", "N18.4", "Z79.4", "F11.20", "B20",
         "O24.419", "I48.91", "M05.79", "F41.1", "G40.909", "E66.01", "K50.90", "F10.20", "I10",
         "C61", "Z34.83", "A56.01", "F31.9", "N39.0", "J45.909"]
CPT = ["99213", "45378", "77067", "93306", "80053", "36415", "97110", "90837", "G0438", "83036"]
NDC = ["0002-8215-01", "50090-3493-0", "0169-4132-12", "0078-0357-15", "68180-513-01"]

MEDS = [
    "metformin 500mg", "metformin", "lisinopril 10 mg", "atorvastatin 40mg", "Eliquis 5mg", "warfarin",
    "insulin glargine", "Lantus", "Ozempic 0.5mg", "semaglutide", "sertraline 50mg", "Zoloft",
    "Suboxone", "buprenorphine", "methadone", "Adderall XR 20mg", "albuterol inhaler", "Humira",
    "prednisone 20mg", "levothyroxine 75mcg", "amoxicillin 875mg", "Truvada", "Biktarvy",
    "gabapentin 300mg", "oxycodone 5mg", "Xanax 0.5", "lithium", "Seroquel", "Keytruda",
    "tamoxifen", "Paxlovid", "furosemide 40mg", "Lasix", "Jardiance", "Entresto", "naltrexone",
    "Vivitrol", "Depo-Provera", "clonazepam", "Dupixent", "hydroxychloroquine", "Xarelto 20 mg",
    "amlodipine 5mg", "losartan 50mg", "fluoxetine 20mg", "PrEP",
]
PROCEDURES = [
    "colonoscopy", "MRI of the lumbar spine", "mammogram", "biopsy", "chemo infusion", "dialysis",
    "knee replacement", "cataract surgery", "C-section", "CT scan", "echocardiogram", "stress test",
    "A1c draw", "lipid panel", "Pap smear", "upper endoscopy", "physical therapy eval", "cardiac cath",
    "egg retrieval", "vasectomy", "wisdom tooth extraction", "allergy shots", "PET scan", "EKG",
    "sleep study", "HIV test", "STI screening", "prenatal ultrasound", "INR check", "infusion",
    "post-op wound check", "radiation therapy", "lumbar puncture", "bone density scan", "TURP",
]
LAB_RESULTS = ["A1c 9.2%", "INR 3.8", "BP 182/104", "potassium 6.1", "PSA 11.4", "eGFR 22",
               "viral load undetectable", "CD4 310", "hemoglobin 7.9", "TSH 12.3", "troponin 0.9",
               "glucose 412", "LDL 191"]

PLACES = ["Lakeside", "Riverbend", "Mercy", "Cedar Hills", "Northgate", "Bayview", "Summit",
          "Pine Ridge", "Harborview", "Oak Park", "Valley", "Westfield", "Prairie", "Fox Run",
          "Magnolia", "Sierra Vista", "Blue Ridge", "Clearwater", "Highland", "Sunset"]
SAINTS = ["St. Luke's", "St. Mary's", "St. Joseph", "St. Vincent", "Mount Sinai", "Good Samaritan",
          "Providence", "Sacred Heart", "Holy Cross", "St. Francis"]
SPECIALTY_SITES = ["Oncology Center", "Cancer Institute", "Dialysis Center", "Cardiology Clinic",
                   "Behavioral Health", "Addiction Recovery Center", "Fertility Institute",
                   "Methadone Clinic", "HIV Care Center", "Infusion Center", "Psychiatric Hospital",
                   "Wound Care Center", "Memory Care", "Women's Health", "Sleep Center",
                   "Orthopedic Surgery", "Kidney Care", "Pain Management", "Eating Disorder Program"]
GENERIC_SITES = ["Medical Center", "Hospital", "Regional Medical Center", "Health", "Family Medicine",
                 "Community Health Center", "Urgent Care"]

US_CITIES = [("Chicago", "IL", "606"), ("Houston", "TX", "770"), ("Phoenix", "AZ", "850"),
             ("Philadelphia", "PA", "191"), ("San Antonio", "TX", "782"), ("San Diego", "CA", "921"),
             ("Dallas", "TX", "752"), ("Columbus", "OH", "432"), ("Charlotte", "NC", "282"),
             ("Indianapolis", "IN", "462"), ("Seattle", "WA", "981"), ("Denver", "CO", "802"),
             ("Nashville", "TN", "372"), ("El Paso", "TX", "799"), ("Detroit", "MI", "482"),
             ("Memphis", "TN", "381"), ("Louisville", "KY", "402"), ("Baltimore", "MD", "212"),
             ("Milwaukee", "WI", "532"), ("Albuquerque", "NM", "871"), ("Tucson", "AZ", "857"),
             ("Fresno", "CA", "937"), ("Sacramento", "CA", "958"), ("Kansas City", "MO", "641"),
             ("Omaha", "NE", "681"), ("Raleigh", "NC", "276"), ("Tulsa", "OK", "741"),
             ("Cleveland", "OH", "441"), ("Tampa", "FL", "336"), ("Boise", "ID", "837"),
             ("Spokane", "WA", "992"), ("Des Moines", "IA", "503"), ("Little Rock", "AR", "722"),
             ("Gallup", "NM", "873"), ("Hilo", "HI", "967"), ("Bangor", "ME", "044"),
             ("Flagstaff", "AZ", "860"), ("Dayton", "OH", "454"), ("Savannah", "GA", "314"),
             ("Fort Wayne", "IN", "468"), ("Yakima", "WA", "989"), ("Duluth", "MN", "558")]
STREET_NAMES = ["Oak", "Maple", "Main", "Cedar", "Elm", "Washington", "Lincoln", "Martin Luther King Jr",
                "Pine", "Lakeview", "Hillcrest", "Sunset", "Park", "Ridge", "Cottonwood", "Mesquite",
                "Juniper", "Wabash", "Damen", "Peachtree", "Magnolia", "Bluebonnet"]
STREET_TYPES = ["St", "Ave", "Blvd", "Rd", "Dr", "Ln", "Ct", "Way", "Street", "Avenue", "Pkwy"]

# Real US geographic area codes (no territories, no toll-free)
US_AREA = [201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224,
           225, 228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270,
           276, 281, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318,
           319, 320, 321, 323, 325, 330, 334, 336, 337, 339, 347, 351, 352, 360, 361, 385, 386, 401,
           402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424, 425, 430,
           432, 434, 435, 440, 443, 469, 470, 475, 478, 479, 480, 484, 501, 502, 503, 504, 505, 507,
           508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 540, 541, 551, 559, 561, 562, 563,
           567, 570, 571, 573, 574, 575, 580, 585, 586, 601, 602, 603, 605, 606, 607, 608, 609, 610,
           612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 628, 630, 631, 636, 641, 646, 650, 651,
           657, 660, 661, 662, 678, 682, 701, 702, 703, 704, 706, 707, 708, 712, 713, 714, 715, 716,
           717, 718, 719, 720, 724, 727, 731, 732, 734, 737, 740, 747, 754, 757, 760, 763, 765, 770,
           772, 773, 774, 775, 781, 785, 786, 801, 802, 803, 804, 805, 806, 808, 810, 812, 813, 814,
           815, 816, 817, 818, 828, 830, 831, 832, 843, 845, 847, 848, 850, 856, 857, 858, 859, 860,
           862, 863, 864, 865, 870, 872, 901, 903, 904, 906, 907, 908, 909, 910, 912, 913, 914, 915,
           916, 917, 918, 919, 920, 925, 928, 929, 931, 936, 937, 940, 941, 947, 949, 951, 952, 954,
           956, 970, 971, 972, 973, 978, 979, 980, 984, 985, 989]
CANADA_AREA = [204, 226, 236, 249, 250, 289, 306, 343, 365, 403, 416, 418, 431, 437, 438, 450, 506,
               514, 519, 548, 579, 581, 587, 604, 613, 639, 647, 705, 709, 778, 780, 782, 807, 819,
               825, 867, 873, 902, 905]
CARIB_AREA = [242, 246, 264, 268, 284, 345, 441, 473, 649, 664, 721, 758, 767, 784, 809, 829, 849,
              868, 869, 876]
TOLL_FREE = [800, 833, 844, 855, 866, 877, 888]

EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com",
                 "comcast.net", "att.net", "protonmail.com", "live.com", "msn.com", "sbcglobal.net"]

# Clean-looking content
COMPANIES_HEALTHWORD = ["Heartland Logistics", "Pulse Fitness", "Iron Mountain Storage",
                        "Sugar Bowl Bakery", "Cardinal Movers", "Vital Farms Market",
                        "Lifeline Roadside", "Pill Box Coffee", "Clinic Street Tacos",
                        "Healthy Paws Pet Supply", "Nerve Center Coworking", "Remedy Bar & Grill"]
COMPANIES = ["Northwind Outfitters", "Blue Fern Florist", "Crescent Auto Care", "Tidewater Books",
             "Acme Home Services", "Juniper Yoga", "Metro Transit", "Brightline Internet",
             "Summit Credit Union", "Copper Kettle Diner"]
GREETINGS_CLEAN = ["Thanks!", "ok sounds good", "see u then", "👍", "Can you call me back?",
                   "What time do you close today?", "Is there parking on site?", "wrong number sorry",
                   "STOP", "YES", "C", "Got it, thank you", "Running 5 min late", "lol ok",
                   "Do you take walk-ins?", "Where do I park?", "HELP", "UNSTOP", "Y"]
