//! The evaluation's own vocabulary, written for this generator: first and last names, lay and
//! clinical condition names with abbreviations, medications (generic and brand), procedures,
//! specialties for compositional care settings, US cities, facility-name parts and the labels
//! people put in front of identifiers. None of it is copied from `detectors/`; terms were chosen
//! as a patient, a front-desk agent or a developer would type them, so the scores measure real
//! coverage rather than the detector files' own examples.

pub const FIRST: &[&str] = &[
    "Maria", "David", "Latoya", "Jamal", "Priya", "Wei", "Carmen", "Luis", "Olga", "Tomasz",
    "Aisha", "Kwame", "Siobhan", "Dmitri", "Yesenia", "Darnell", "Mei", "Rahul", "Fatima",
    "Giovanni", "Ingrid", "Keisha", "Hector", "Nadia", "Tyrone", "Anh", "Beatriz", "Cormac",
    "Esperanza", "Jorge", "Lakshmi", "Marisol", "Nkechi", "Oksana", "Rashid", "Shanice", "Thuy",
    "Wanda", "Xavier", "Yolanda", "Zainab", "Brenda", "Gloria", "Earl", "Doris", "Mildred",
    "Floyd", "Herbert", "Bernice", "Clarence", "Ngozi", "Bogdan", "Imani", "Desmond", "Rosalind",
    "Ezequiel", "Hana", "Ruthie", "Marcus", "Consuelo", "Trevon", "Agnieszka", "Dolores",
];

pub const LAST: &[&str] = &[
    "Gonzalez", "Okafor", "Nguyen", "Patel", "Kowalski", "Washington", "O'Brien", "Hernandez",
    "Fitzgerald", "Abernathy", "Castillo", "Delgado", "Ivanova", "Kim", "Lindqvist", "Mbeki",
    "Nakamura", "Oyelaran", "Petrov", "Quintero", "Rosenberg", "Schwartz", "Tran", "Underwood",
    "Vasquez", "Whitfield", "Yamamoto", "Zimmerman", "Baptiste", "Chaudhry", "Dubois",
    "Espinoza", "Ferreira", "Gallagher", "Haddad", "Jankowski", "Kaur", "Lopez", "McAllister",
    "Nwosu", "Ortega", "Pham", "Romero", "Salazar", "Thibodeaux", "Villanueva", "Adeyemi",
    "Brandt", "Carrasco", "Dziedzic", "Esposito", "Fairbanks", "Gutierrez", "Holloway",
];

/// Family words that cue a name or a person ("my mom", "for my son").
pub const FAMILY: &[&str] = &[
    "mom", "dad", "son", "daughter", "husband", "wife", "grandma", "grandpa", "mother",
    "father", "aunt", "brother",
];

/// Conditions as people write them: clinical names, lay names and abbreviations.
pub const CONDITIONS: &[&str] = &[
    "type 2 diabetes", "high blood pressure", "hypertension", "CHF", "congestive heart failure",
    "COPD", "asthma", "a-fib", "atrial fibrillation", "kidney stones", "chronic kidney disease",
    "CKD stage 3", "hep C", "HIV", "depression", "bipolar disorder", "PTSD", "schizophrenia",
    "opioid use disorder", "alcohol use disorder", "breast cancer", "prostate cancer",
    "lymphoma", "multiple sclerosis", "MS flare", "Parkinson's", "Alzheimer's", "dementia",
    "epilepsy", "seizures", "migraines", "lupus", "rheumatoid arthritis", "psoriasis",
    "Crohn's", "ulcerative colitis", "GERD", "gout", "sleep apnea", "hypothyroidism",
    "pneumonia", "UTI", "strep throat", "shingles", "chlamydia", "gonorrhea", "genital herpes",
    "gestational diabetes", "preeclampsia", "anorexia", "ADHD", "sickle cell", "cystic fibrosis",
    "endometriosis", "PCOS", "osteoporosis", "glaucoma", "macular degeneration", "concussion",
    "torn ACL", "DVT", "blood clot", "stroke", "heart attack", "high cholesterol", "long covid",
    "Lyme disease", "celiac disease", "IBS", "kidney failure", "cirrhosis", "fatty liver",
    "T2DM", "HTN", "CAD", "A1c of 9.1", "panic attacks", "diverticulitis", "anemia",
    "pancreatitis", "hep B", "melanoma", "colon cancer", "leukemia", "ALS", "tinnitus",
];

/// Conditions that programs and outreach campaigns are built around (tag/campaign names).
pub const CAMPAIGN_CONDITIONS: &[&str] = &[
    "diabetes", "copd", "chf", "hypertension", "asthma", "ckd", "hep-c", "hiv", "depression",
    "opioid", "heart-failure", "prediabetes", "cancer-survivor", "afib", "obesity", "sickle-cell",
];

pub const MEDICATIONS: &[&str] = &[
    "metformin", "lisinopril", "atorvastatin", "amlodipine", "levothyroxine", "sertraline",
    "escitalopram", "bupropion", "gabapentin", "hydrocodone", "oxycodone", "buprenorphine",
    "Suboxone", "methadone", "Narcan", "insulin glargine", "Lantus", "Ozempic", "semaglutide",
    "Mounjaro", "tirzepatide", "Eliquis", "apixaban", "Xarelto", "warfarin", "Jardiance",
    "Farxiga", "albuterol", "Symbicort", "Advair", "prednisone", "amoxicillin", "azithromycin",
    "Z-pack", "doxycycline", "Paxlovid", "Truvada", "Biktarvy", "Humira", "Dupixent", "Enbrel",
    "Adderall", "Vyvanse", "lithium", "Seroquel", "quetiapine", "Lexapro", "Zoloft",
    "Wellbutrin", "Xanax", "clonazepam", "estradiol", "testosterone", "tamsulosin", "Flomax",
    "montelukast", "omeprazole", "pantoprazole", "furosemide", "Lasix", "spironolactone",
    "carvedilol", "metoprolol", "losartan", "hydrochlorothiazide", "Keytruda", "tamoxifen",
    "letrozole", "methotrexate", "Plaquenil", "allopurinol", "colchicine", "Vivitrol", "Chantix",
    "Trulicity", "Wegovy", "Zepbound", "Entresto", "Brilinta", "clopidogrel", "Plavix",
];

/// Dose strings that follow a medication.
pub const DOSES: &[&str] = &[
    "500mg", "10 mg", "20mg", "0.5 mg", "25mcg", "100 units", "40mg", "2.5mg", "1 mg", "81mg",
];

pub const PROCEDURES: &[&str] = &[
    "colonoscopy", "mammogram", "MRI", "CT scan", "knee replacement", "hip replacement",
    "cataract surgery", "dialysis", "chemo", "chemotherapy", "radiation therapy", "infusion",
    "biopsy", "endoscopy", "upper endoscopy", "echocardiogram", "stress test", "cardiac cath",
    "angioplasty", "stent placement", "bypass surgery", "appendectomy", "gallbladder removal",
    "hysterectomy", "vasectomy", "C-section", "IVF", "egg retrieval", "embryo transfer",
    "D&C", "tonsillectomy", "root canal", "wisdom tooth extraction", "physical therapy",
    "occupational therapy", "speech therapy", "sleep study", "pap smear", "prenatal visit",
    "ultrasound", "bone density scan", "DEXA scan", "allergy testing", "blood draw",
    "lipid panel", "STD testing", "HIV test", "PET scan", "lumbar puncture", "spinal tap",
    "epidural steroid injection", "cortisone shot", "carpal tunnel release",
    "rotator cuff repair", "ACL reconstruction", "spinal fusion", "gastric sleeve",
    "bariatric surgery", "detox intake", "ECT", "TMS therapy", "pacemaker check",
    "wound debridement", "nuclear stress test", "holter monitor", "cystoscopy",
];

/// Specialties and services; a care setting is one of these plus a setting word.
pub const SPECIALTIES: &[&str] = &[
    "oncology", "cardiology", "dermatology", "endocrinology", "nephrology", "neurology",
    "psychiatry", "behavioral health", "pain management", "fertility", "OB/GYN", "urology",
    "gastroenterology", "GI", "orthopedics", "pulmonology", "rheumatology",
    "infectious disease", "sleep medicine", "wound care", "addiction medicine",
    "substance use", "eating disorder", "memory care", "hospice", "palliative care",
    "dialysis", "infusion", "transplant", "bariatric", "sports medicine", "allergy", "ENT",
    "podiatry", "geriatric", "prenatal", "sexual health", "methadone", "hematology",
    "cancer", "heart", "kidney", "vascular", "spine", "hepatology", "mental health",
];

pub const SETTING_WORDS: &[&str] = &[
    "clinic", "center", "department", "unit", "program", "ward", "practice", "services",
    "institute", "center - north", "clinic (2nd floor)",
];

/// Care settings that are phrases on their own.
pub const SETTINGS_FIXED: &[&str] = &[
    "ICU", "NICU", "cancer center", "rehab facility", "psych ward", "labor and delivery",
    "L&D", "cath lab", "detox unit", "dialysis center", "chemo suite", "inpatient psych",
    "step-down unit", "burn unit", "IOP program",
];

pub const CITIES: &[&str] = &[
    "Joliet", "Waukegan", "Schaumburg", "Evanston", "Naperville", "Kalamazoo", "Toledo",
    "Dayton", "Akron", "Scranton", "Allentown", "Trenton", "Paterson", "Yonkers", "Stamford",
    "Worcester", "Lowell", "Bridgeport", "Syracuse", "Buffalo", "Harrisburg", "Fayetteville",
    "Chattanooga", "Knoxville", "Macon", "Savannah", "Tallahassee", "Gainesville", "Lakeland",
    "Pensacola", "Shreveport", "Baton Rouge", "Lubbock", "Amarillo", "Laredo", "McAllen",
    "Brownsville", "El Paso", "Tucson", "Flagstaff", "Provo", "Boise", "Spokane", "Yakima",
    "Eugene", "Bakersfield", "Fresno", "Modesto", "Stockton", "Visalia", "Oxnard", "Santa Rosa",
    "Reno", "Pueblo", "Cheyenne", "Billings", "Fargo", "Sioux Falls", "Duluth", "Des Moines",
    "Cedar Rapids", "Topeka", "Wichita", "Tulsa", "Little Rock", "Huntsville", "Birmingham",
];

pub const STATES: &[&str] = &[
    "IL", "OH", "PA", "NJ", "NY", "CT", "MA", "NC", "TN", "GA", "FL", "LA", "TX", "AZ", "UT",
    "ID", "WA", "OR", "CA", "NV", "CO", "WY", "MT", "ND", "SD", "MN", "IA", "KS", "OK", "AR",
    "AL",
];

pub const SAINTS: &[&str] = &[
    "Vincent", "Luke's", "Agnes", "Joseph", "Francis", "Elizabeth", "Mary's", "Jude",
    "Anthony", "Catherine", "Bernard", "Clare",
];

/// Place-like words for facility names (not necessarily cities).
pub const PLACES: &[&str] = &[
    "Lakeshore", "Riverbend", "Cedar Hill", "Prairie View", "Northgate", "Bayside",
    "Willow Creek", "Summit", "Harborview", "Pinecrest", "Oak Park", "Meadowbrook", "Eastside",
    "Crestwood", "Silver Lake", "Fox Valley",
];

pub const FACILITY_SUFFIX: &[&str] = &[
    "Memorial Hospital", "Medical Center", "Regional Medical Center", "Community Hospital",
    "Health Center", "Family Clinic", "General Hospital", "Surgical Center",
    "Community Health Center", "Specialty Hospital",
];

pub const STREETS: &[&str] = &[
    "Addison", "Prospect", "Maple", "Chestnut", "Lincoln", "Division", "Fulton", "Kedzie",
    "Magnolia", "Juniper", "Sycamore", "Hawthorne", "Brookside", "Belmont", "Ridgeway",
];

pub const STREET_SUFFIX: &[&str] = &["St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Ct", "Way"];

/// US area codes (all US per the NANP table) and a non-US set: Canada and Caribbean NANP codes
/// plus international country codes.
pub const US_AREA: &[&str] = &[
    "212", "312", "415", "617", "713", "305", "206", "404", "720", "503", "602", "614", "773",
    "816", "919", "470", "651", "214", "267", "702",
];
pub const NANP_NON_US: &[&str] = &["416", "604", "514", "403", "613", "876", "809", "242", "441"];
pub const INTL_PREFIX: &[&str] = &["+44 7700 9", "+52 55 5", "+91 98", "+61 4", "+49 151", "+63 917"];

pub const QUEUES: &[&str] = &["Everyone", "Scheduling", "Billing", "Nurse Line", "Spanish", "Pharmacy"];

pub const SKILLS: &[&str] = &["sms", "voice", "chat", "spanish", "billing", "scheduling", "triage"];
