"""Final outputs and report inputs of the EoR 21cm study (rules in eor21cm.smk)."""

EOR = STUDIES.get("eor21cm")
EOR_VARIANT = (
    EOR.source if EOR else None
)  # the one dataset variant, named after the source
EOR_MODEL = next(iter(EOR.models())) if EOR else None  # the per-redshift table's model


def eor_balance_bins():
    """xHI bins of the balancing (10 when balancing is off), shared by the histogram figure."""
    balance = EOR.dataset_settings().get("balance")
    return balance["bins"] if balance else 10


def eor_split_name(variant):
    """How a variant's maps are split, for the split-comparison table."""
    return "random by map" if variant == EOR.random_split_variant() else "by box"


def eor_targets():
    return [
        *generic_targets("eor21cm"),
        *rules.eor_tables.output,
        *rules.eor_figures.output,
        *(rules.eor_validation.output if EOR.source == "21cmfast" else []),
        *(rules.eor_split_comparison.output if len(EOR.variants()) > 1 else []),
    ]


STUDY_TARGETS["eor21cm"] = eor_targets
