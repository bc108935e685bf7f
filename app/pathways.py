"""Tumour pathways known to the app. Their symptom lists and rules are versioned data (later)."""
PATHWAYS = {
    "breast": "Breast",
    "colorectal": "Colorectal (bowel)",
    "prostate": "Prostate",
    "gynaecological": "Gynaecological",
    "head_and_neck": "Head and neck",
    "thyroid": "Thyroid",
    "skin": "Skin (melanoma)",
    "haematology": "Haematology (lymphoma)",
    "lung": "Lung",
}
PATHWAY_CHOICES = list(PATHWAYS.items())


def pathway_name(key: str) -> str:
    return PATHWAYS.get(key, key)
