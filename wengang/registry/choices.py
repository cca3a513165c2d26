"""The registry's enumerations. Labels are what the screen shows; the importer maps staff's words to them."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PovertyCategory(models.TextChoices):
    OUT_OF_POVERTY = "out_of_poverty", _("Household lifted out of poverty")
    UNSTABLE = "unstable", _("Unstable out-of-poverty household")
    MARGINAL = "marginal", _("Marginal household at risk of poverty")
    SUDDEN_DIFFICULTY = "sudden_difficulty", _("Household in sudden severe difficulty")
    MONITORED = "monitored", _("Monitored household (category not given)")
    LOW_INCOME = "low_income", _("Rural low-income household")
    GENERAL = "general", _("General household")


# The categories the 131 service opens priority cases for.
MONITORED_CATEGORIES = frozenset(
    {
        PovertyCategory.UNSTABLE,
        PovertyCategory.MARGINAL,
        PovertyCategory.SUDDEN_DIFFICULTY,
        PovertyCategory.MONITORED,
    }
)


class EmploymentStatus(models.TextChoices):
    EMPLOYED_LOCAL = "employed_local", _("Employed locally")
    EMPLOYED_IN_COUNTY = "employed_in_county", _("Employed in the county")
    EMPLOYED_IN_PROVINCE = "employed_in_province", _("Employed in the province, outside the county")
    EMPLOYED_OUT_OF_PROVINCE = "employed_out_of_province", _("Employed outside the province")
    SELF_EMPLOYED = "self_employed", _("Flexible employment")
    STARTING_BUSINESS = "starting_business", _("Starting a business")
    UNEMPLOYED_SEEKING = "unemployed_seeking", _("Unemployed and seeking work")
    NOT_SEEKING = "not_seeking", _("Not seeking work")
    IN_TRAINING = "in_training", _("In training")
    STUDENT = "student", _("Student")
    UNABLE = "unable", _("Unable to work")


EMPLOYED_STATUSES = frozenset(
    {
        EmploymentStatus.EMPLOYED_LOCAL,
        EmploymentStatus.EMPLOYED_IN_COUNTY,
        EmploymentStatus.EMPLOYED_IN_PROVINCE,
        EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE,
        EmploymentStatus.SELF_EMPLOYED,
        EmploymentStatus.STARTING_BUSINESS,
    }
)
MIGRANT_STATUSES = frozenset(
    {EmploymentStatus.EMPLOYED_IN_PROVINCE, EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE}
)


class Source(models.TextChoices):
    IMPORT = "import", _("Import")
    STAFF = "staff", _("Staff")
    WORKER = "worker", pgettext_lazy("source", "Worker")
    ENTERPRISE = "enterprise", pgettext_lazy("source", "Enterprise")


class Intent(models.TextChoices):
    STAY_OVER = "stay_over", _("Stay where they work for the festival")
    RETURN_HOME = "return_home", _("Return home")
    LOCAL_JOB = "local_job", _("Seek a local job")
    GO_OUT = "go_out", _("Go out to work")
    START_BUSINESS = "start_business", _("Start a business")
    TRAINING = "training", _("Join training")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school or less")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary or vocational")
    COLLEGE = "college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor or above")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    CHRONIC = "chronic", _("Chronic illness")
    DISABLED = "disabled", pgettext_lazy("health", "Disabled")
    UNABLE = "unable", _("Unable to work")


class Relation(models.TextChoices):
    HEAD = "head", _("Household head")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", pgettext_lazy("relation", "Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
