"""Medical synonyms, abbreviations and the words that carry no topic, shared by retrieval
(query expansion) and question understanding."""

from __future__ import annotations

import re

# Each group: the ways people write one thing. A question containing any of them is expanded
# with the rest, so "IVIg", "IGIV" and "immune globulin" find the same passages.
SYNONYM_GROUPS: list[tuple[str, ...]] = [
    ("ivig", "ivig", "igiv", "intravenous immune globulin", "intravenous immunoglobulin", "immune globulin", "immunoglobulin"),
    ("scig", "subcutaneous immune globulin", "subcutaneous immunoglobulin"),
    ("mg", "myasthenia gravis", "myasthenic"),
    ("plex", "plasma exchange", "plasmapheresis", "therapeutic plasma exchange", "tpe", "apheresis"),
    ("gbs", "guillain-barre syndrome", "guillain-barré syndrome", "guillain barre"),
    ("cidp", "chronic inflammatory demyelinating polyradiculoneuropathy", "chronic inflammatory demyelinating polyneuropathy"),
    ("mmn", "multifocal motor neuropathy"),
    ("itp", "immune thrombocytopenia", "idiopathic thrombocytopenic purpura"),
    ("cpap", "continuous positive airway pressure", "pap", "positive airway pressure", "apap", "bipap"),
    ("osa", "obstructive sleep apnea", "sleep apnoea", "sleep apnea"),
    ("ahi", "apnea-hypopnea index", "apnea hypopnea index", "rdi"),
    ("cgm", "continuous glucose monitor", "continuous glucose monitoring"),
    ("glp-1", "glp1", "glp-1 receptor agonist", "semaglutide", "liraglutide", "dulaglutide", "tirzepatide", "wegovy", "ozempic", "mounjaro", "zepbound", "saxenda", "trulicity", "victoza", "rybelsus"),
    ("tms", "transcranial magnetic stimulation", "rtms"),
    ("hbot", "hyperbaric oxygen", "hyperbaric oxygen therapy", "hyperbaric"),
    ("scs", "spinal cord stimulation", "spinal cord stimulator", "neurostimulator"),
    ("esi", "epidural steroid injection", "epidural steroid injections", "epidural injection"),
    ("pcsk9", "pcsk9 inhibitor", "evolocumab", "alirocumab", "inclisiran", "repatha", "praluent", "leqvio"),
    ("hcv", "hepatitis c", "hep c"),
    ("daa", "direct-acting antiviral", "direct acting antiviral", "sofosbuvir", "velpatasvir", "glecaprevir", "pibrentasvir", "epclusa", "mavyret"),
    ("trt", "testosterone", "testosterone replacement", "testosterone therapy"),
    ("aba", "applied behavior analysis", "applied behaviour analysis"),
    ("asd", "autism", "autism spectrum disorder"),
    ("tka", "total knee arthroplasty", "knee replacement", "total knee replacement"),
    ("mri", "magnetic resonance imaging"),
    ("lbp", "low back pain"),
    ("cgrp", "calcitonin gene-related peptide", "erenumab", "fremanezumab", "galcanezumab", "eptinezumab", "atogepant", "rimegepant", "aimovig", "ajovy", "emgality"),
    ("botox", "onabotulinumtoxina", "botulinum toxin"),
    ("pe", "pulmonary embolism"),
    ("pots", "postural orthostatic tachycardia syndrome", "postural tachycardia syndrome"),
    ("ra", "rheumatoid arthritis"),
    ("copd", "chronic obstructive pulmonary disease"),
    ("spo2", "oxygen saturation", "o2 sat", "pulse oximetry"),
    ("pbt", "proton beam therapy", "proton therapy", "proton beam"),
    ("fcrn", "fcrn blocker", "fcrn inhibitor", "efgartigimod", "rozanolixizumab", "nipocalimab", "vyvgart", "rystiggo"),
    ("complement inhibitor", "eculizumab", "ravulizumab", "zilucoplan", "soliris", "ultomiris", "zilbrysq"),
    ("brca", "brca1", "brca2", "hereditary breast and ovarian cancer"),
    ("wes", "exome sequencing", "whole exome sequencing", "exome"),
    ("bariatric surgery", "weight loss surgery", "gastric bypass", "sleeve gastrectomy", "metabolic and bariatric surgery"),
    ("a1c", "hba1c", "hemoglobin a1c", "glycated hemoglobin"),
    ("ldl", "ldl-c", "ldl cholesterol", "low-density lipoprotein"),
    ("hrt", "hormone replacement therapy", "menopausal hormone therapy", "hormone therapy"),
    ("dexa", "dxa", "bone density", "bone mineral density", "bone densitometry"),
    ("aaa", "abdominal aortic aneurysm"),
    ("psa", "prostate-specific antigen", "prostate specific antigen"),
    ("ldct", "low-dose computed tomography", "low-dose ct"),
    ("tavr", "tavi", "transcatheter aortic valve replacement", "transcatheter aortic valve implantation"),
    ("hpv", "human papillomavirus"),
    # longer than "pap" (positive airway pressure above), so "Pap smear" is read as this group
    ("pap smear", "pap smears", "pap test", "pap tests", "papanicolaou", "cervical cytology"),
    ("dvt", "deep vein thrombosis", "deep venous thrombosis"),
    ("vte", "venous thromboembolism"),
    # common clinical abbreviations and lay words, each with the words guidelines write
    ("esa", "esas", "erythropoiesis-stimulating agent", "erythropoiesis stimulating agent", "epoetin", "darbepoetin"),
    ("ecg", "ekg", "electrocardiography", "electrocardiogram"),
    ("lfts", "liver function tests", "liver enzymes"),
    ("ocp", "ocps", "oral contraceptive", "oral contraceptives", "birth control pill", "birth control pills"),
    ("uti", "utis", "urinary tract infection"),
    ("ptsd", "posttraumatic stress disorder", "post-traumatic stress disorder"),
    ("mdd", "major depressive disorder"),
    ("ckd", "chronic kidney disease"),
    ("htn", "hypertension", "high blood pressure"),
    ("t2dm", "type 2 diabetes", "type 2 diabetes mellitus"),
    ("cad", "coronary artery disease", "coronary heart disease"),
    ("sti", "stis", "std", "stds", "sexually transmitted infection", "sexually transmitted disease"),
    ("ssri", "ssris", "selective serotonin reuptake inhibitor"),
    ("tbi", "traumatic brain injury"),
    ("aud", "alcohol use disorder"),
    ("ncs", "ncv", "nerve conduction study", "nerve conduction studies"),
    ("emg", "electromyography"),
    ("tcd", "transcranial doppler"),
    ("scd", "sickle cell disease", "sickle cell anemia", "hbss"),
    ("ace inhibitor", "ace inhibitors", "acei", "angiotensin-converting enzyme inhibitor"),
    ("bmi", "body mass index"),
    ("ltbi", "latent tuberculosis infection", "latent tb"),
    ("newborn", "newborns", "neonate", "neonates", "neonatal"),
    ("eye", "eyes", "ocular", "ophthalmic"),
    ("hbv", "hepatitis b", "hep b"),
    ("hbsag", "hepatitis b surface antigen"),
    ("hiv", "human immunodeficiency virus"),
    ("ezetimibe", "zetia"),
    ("statin", "statins", "atorvastatin", "rosuvastatin", "simvastatin", "pravastatin", "lipitor", "crestor", "zocor"),
    ("urinalysis", "ua", "urine dipstick"),
    ("echo", "echocardiogram", "echocardiography"),
    ("sciatica", "lumbar radiculopathy", "radicular pain", "radiculopathy"),
    ("tennis elbow", "lateral epicondylitis", "lateral epicondylosis", "epicondylosis", "epicondylitis"),
    ("cts", "carpal tunnel syndrome"),
    ("phq-9", "phq-a", "phq", "patient health questionnaire"),
    ("ppi", "ppis", "proton pump inhibitor"),
    ("mi", "myocardial infarction", "heart attack"),
    ("cva", "cerebrovascular accident", "stroke"),
    ("gerd", "gastroesophageal reflux disease", "acid reflux"),
    ("oa", "osteoarthritis"),
    ("gdm", "gestational diabetes", "gestational diabetes mellitus"),
    ("iud", "iuds", "intrauterine device", "intrauterine contraception"),
    ("emergency contraception", "plan b", "morning-after pill"),
    ("cologuard", "mt-sdna", "multitarget stool dna", "stool dna"),
    ("fit test", "fecal immunochemical test", "fobt", "fecal occult blood test"),
    ("mammogram", "mammograms", "mammography"),
    ("cbt", "cognitive behavioral therapy", "cognitive behavioural therapy"),
    ("adhd", "attention-deficit/hyperactivity disorder", "attention deficit hyperactivity disorder"),
    ("oud", "opioid use disorder"),
    ("suboxone", "buprenorphine/naloxone", "buprenorphine-naloxone"),
    ("narcan", "naloxone"),
    ("mme", "morphine milligram equivalent", "morphine milligram equivalents", "morphine equivalent"),
    ("tb", "tuberculosis"),
    ("igra", "interferon-gamma release assay", "quantiferon"),
    ("tst", "tuberculin skin test", "ppd"),
    ("sbp", "systolic blood pressure"),
    ("dbp", "diastolic blood pressure"),
    ("egfr", "estimated glomerular filtration rate", "gfr"),
    ("uacr", "albumin-creatinine ratio", "albumin-to-creatinine ratio", "microalbuminuria"),
    ("arb", "arbs", "angiotensin receptor blocker", "angiotensin ii receptor blocker"),
    ("vaso-occlusive crisis", "pain crisis", "voc", "vaso-occlusive"),
    ("hydroxyurea", "hydrea", "droxia"),
    ("mtbi", "mild traumatic brain injury", "concussion"),
    ("physical therapy", "physiotherapy", "physical therapist"),
    ("nrt", "nicotine replacement therapy", "nicotine patch", "nicotine gum"),
    ("varenicline", "chantix"),
    ("bupropion", "wellbutrin", "zyban"),
    ("e-cigarette", "e-cigarettes", "e-cig", "e-cigs", "vaping", "electronic cigarette", "electronic cigarettes", "electronic nicotine delivery systems"),
    ("tsh", "thyroid-stimulating hormone", "thyroid stimulating hormone"),
    ("sertraline", "zoloft"),
    ("fluoxetine", "prozac"),
    ("escitalopram", "lexapro"),
    ("benzodiazepine", "benzodiazepines", "benzo", "benzos", "clonazepam", "lorazepam", "alprazolam", "diazepam", "klonopin", "ativan", "xanax", "valium"),
    ("muscle relaxant", "muscle relaxants", "cyclobenzaprine", "flexeril", "tizanidine", "methocarbamol"),
    ("gabapentin", "neurontin"),
    ("pregabalin", "lyrica"),
    ("acetaminophen", "tylenol", "paracetamol"),
    ("oxycodone", "oxycontin", "percocet"),
    ("hydrocodone", "vicodin", "norco"),
    ("tramadol", "ultram"),
    ("qsymia", "phentermine/topiramate", "phentermine-topiramate", "phentermine and topiramate"),
    ("metformin", "glucophage"),
    ("asb", "asymptomatic bacteriuria"),
    ("gonorrhea", "neisseria gonorrhoeae", "gonococcal"),
    ("chlamydia", "chlamydia trachomatis"),
    ("rpr", "vdrl", "nontreponemal test"),
    ("hdl", "high-density lipoprotein"),
    ("apob", "apo b", "apolipoprotein b"),
    ("cac", "coronary artery calcium", "calcium score"),
    ("abi", "ankle-brachial index", "ankle brachial index"),
    ("pad", "peripheral artery disease", "peripheral arterial disease"),
    ("ascvd", "atherosclerotic cardiovascular disease"),
    ("cvd", "cardiovascular disease"),
    ("gad", "generalized anxiety disorder"),
    ("c-section", "cesarean", "cesarean delivery", "cesarean section"),
    ("vbac", "vaginal birth after cesarean"),
    ("transtibial amputation", "below-knee amputation", "below the knee amputation", "bka"),
    ("transfemoral amputation", "above-knee amputation", "above the knee amputation"),
    ("transradial amputation", "below-elbow amputation"),
    ("transhumeral amputation", "above-elbow amputation"),
    ("lower limb", "lower extremity"),
    ("upper limb", "upper extremity"),
    ("cmc", "carpometacarpal"),
    ("hyaluronic acid", "viscosupplementation", "hyaluronate"),
    ("prp", "platelet-rich plasma"),
    ("rfa", "radiofrequency ablation", "radiofrequency neurotomy", "rf neurotomy"),
    ("tens", "transcutaneous electrical nerve stimulation"),
    ("sij", "sacroiliac joint"),
    ("acl", "anterior cruciate ligament"),
    ("fce", "functional capacity evaluation"),
    ("rtw", "return to work"),
    ("ltot", "long-term opioid therapy"),
    ("udt", "uds", "urine drug test", "urine drug testing", "urine drug screen"),
    ("pdmp", "prescription drug monitoring program"),
    ("ck", "cpk", "creatine kinase"),
]

_INDEX: dict[str, set[str]] = {}
_GROUP: dict[str, tuple[str, ...]] = {}  # each term's first group
for group in SYNONYM_GROUPS:
    for term in group:
        _INDEX.setdefault(term, set()).update(t for t in group if t != term)
        _GROUP.setdefault(term, group)

_TERM_RE = re.compile(
    r"(?<![a-z0-9])(" + "|".join(sorted((re.escape(t) for t in _INDEX), key=len, reverse=True)) + r")(?![a-z0-9])"
)


# Ambiguous spellings, read as the context says before terms are looked up (case-sensitive):
READINGS: list[tuple[re.Pattern, str]] = [
    # "MG" after a number is milligrams ("sertraline 150 mg"), not myasthenia gravis
    (re.compile(r"\d\s*[mM][gG](?![A-Za-z0-9])"), " "),
    # "Pap" as clinicians write it is the Papanicolaou test; positive airway pressure is "PAP" or "CPAP"
    (re.compile(r"\bPap\b(?!\s+(?:smears?|tests?)\b)"), "Pap test"),
]


def synonym_terms(text: str) -> list[str]:
    """The synonym-table terms found in ``text`` (lower-cased)."""
    for pattern, reading in READINGS:
        text = pattern.sub(reading, text)
    return sorted(set(_TERM_RE.findall(text.lower())))


def expand(text: str) -> str:
    """The text plus every synonym of every known term in it (for retrieval)."""
    found = synonym_terms(text)
    extra: list[str] = []
    for term in found:
        extra.extend(sorted(_INDEX[term]))
    return text if not extra else f"{text} {' '.join(extra)}"


def spelled_out(text: str) -> str:
    """The text with the long form of each abbreviation in it appended, for the dense encoder:
    a small general-domain model places "HRT" or "DEXA" poorly, "hormone replacement therapy"
    well. Only one-word terms are spelled out, each by its group's first multi-word spelling."""
    low = text.lower()
    longs: list[str] = []
    for term in synonym_terms(text):
        if " " in term:
            continue
        long = next((t for t in _GROUP[term] if " " in t), None)
        if long and long not in low and long not in longs:
            longs.append(long)
    return f"{text} ({'; '.join(longs)})" if longs else text


def canonical(term: str) -> str:
    """The first spelling of a term's group (so 'plasmapheresis' and 'PLEX' compare equal)."""
    t = term.lower()
    return _GROUP[t][0] if t in _GROUP else t


# Words that say what kind of question it is, not what it is about.
GENERIC = frozenset(
    """medically necessary necessity covered coverage cover approve approved authorization authorize
    prior auth patient patients adult adults year years old yo male female man woman men women child
    children recommended recommend recommendation recommendations indicated appropriate appropriateness
    should would could use used using therapy therapies treatment treatments treat treated role option
    options manage management guideline guidelines policy policies criteria criterion meet meets met
    qualify eligible eligibility need needs require requires required request requested give given
    dose dosing every day days week weeks month months time first second line history prior previous
    current currently diagnosis diagnosed mg/kg g/kg kg mg g case eval evaluation best approach better
    versus vs or and with without after before during when what which who how why is are does do can
    the a an of for to in on at by about per its it this that these those there their have has had
    get getting take taking still also any some all other more less than into over under
    low high new started start ongoing
    ask asks asking asked whether keep keeps keeping now she he her his him hers they them we our you
    your i me my stay stays continue continues continuing want wants wanted order ordered ordering
    offer offered offering protect help helps consider considered okay ok yes please year-old
    """.split()
)

ENGLISH_HINTS = frozenset(
    "the is are of for to and with what when should does do can patient a an in on how which be".split()
)
FOREIGN_HINTS = frozenset(
    """el la los las es son para con qué cuál cuando debe puede paciente una uno del por
    le les est sont pour avec quel quelle quand doit peut patient une des du est-ce
    der die das ist sind für mit wann soll kann patientin ein eine
    il lo gli è sono per con quale quando deve può paziente""".split()
)
