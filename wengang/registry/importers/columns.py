"""The columns of a registry ledger: the headers staff write, and the words they put in enumerated columns.

Headers are matched after normalisation (full-width to half-width, spaces, ``*`` required-markers and
line breaks removed); a header with a parenthetical unit or remark (``月收入（元）``, ``身份证号(18位)``)
also matches without it. Unknown columns are kept in the table and ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from wengang.core.text import normalize_text
from wengang.registry.choices import EmploymentStatus, Intent, PovertyCategory

# Field keys. The first alias of each is the canonical header written in the template.
NAME = "name"
ID_NUMBER = "id_number"
PHONE = "phone"
GENDER = "gender"
VILLAGE = "village"
VILLAGE_CODE = "village_code"
POVERTY_CATEGORY = "poverty_category"
STATUS = "status"
WORK_PLACE = "work_place"
EMPLOYER_NAME = "employer_name"
MONTHLY_INCOME = "monthly_income"
RETURN_DATE = "return_date"
INTENT = "intent"
INTENT_DESTINATION = "intent_destination"
SKILLS = "skills"
NOTES = "notes"

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    NAME: ("姓名", "劳动力姓名", "人员姓名"),
    ID_NUMBER: ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "身份证件号码", "证件号"),
    PHONE: ("联系电话", "手机号", "手机号码", "手机", "电话", "联系方式", "电话号码"),
    GENDER: ("性别",),
    VILLAGE: (
        "户籍所在村",
        "所在村(社区)",
        "村(社区)",
        "所在村",
        "村",
        "村名",
        "村(居)",
        "所在村(居)",
        "行政村",
        "村委会",
        "村(居)委会",
        "户籍所在村(社区)",
    ),
    VILLAGE_CODE: ("村代码", "村编码", "村(社区)代码", "行政区划代码", "区划代码"),
    POVERTY_CATEGORY: ("户类型", "家庭类型", "脱贫属性", "户属性", "人员类型", "户别"),
    STATUS: ("就业状态", "务工状态", "就业情况", "务工情况", "就业类型"),
    WORK_PLACE: ("务工地点", "务工地", "务工地址", "就业地点", "务工所在地"),
    EMPLOYER_NAME: ("务工单位", "工作单位", "就业单位", "务工企业", "单位名称"),
    MONTHLY_INCOME: ("月收入(元)", "月收入", "月均收入", "务工月收入", "月工资", "月收入(元/月)"),
    RETURN_DATE: ("返乡时间", "返乡日期", "回乡时间"),
    INTENT: ("就业意愿", "外出意愿", "务工意愿", "意愿"),
    INTENT_DESTINATION: ("意向地点", "意向务工地", "意向去向", "外出意向地", "拟务工地点"),
    SKILLS: ("技能特长", "技能", "特长", "专业技能"),
    NOTES: ("备注", "说明"),
}

REQUIRED_FIELDS = (NAME, ID_NUMBER)

_PAREN_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")


def header_key(text: object) -> str:
    """``* 身份证号码 `` → ``身份证号码``; full-width brackets become half-width."""
    return normalize_text(text).replace(" ", "").replace("*", "").replace("＊", "").strip(":：")


def _strip_parens(key: str) -> str:
    return _PAREN_RE.sub("", key)


_ALIAS_INDEX: dict[str, str] = {}
for _field, _aliases in COLUMN_ALIASES.items():
    for _alias in _aliases:
        _ALIAS_INDEX.setdefault(header_key(_alias), _field)


def header_field(text: object) -> str | None:
    """The field a header names, or ``None`` for a column the importer does not know."""
    key = header_key(text)
    if not key:
        return None
    found = _ALIAS_INDEX.get(key)
    if found is None:
        found = _ALIAS_INDEX.get(_strip_parens(key))
    return found


def canonical_header(field_key: str) -> str:
    return COLUMN_ALIASES[field_key][0]


@dataclass
class ColumnMap:
    """Which column (0-based index) holds each field, and what the file's headers were."""

    headers: list[str]
    fields: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def index(self, field_key: str) -> int | None:
        return self.fields.get(field_key)

    def header(self, field_key: str) -> str:
        """The header as written in the file, or the canonical one if the column is absent."""
        idx = self.fields.get(field_key)
        if idx is None:
            return canonical_header(field_key)
        return self.headers[idx]

    def field_of(self, index: int) -> str | None:
        for key, idx in self.fields.items():
            if idx == index:
                return key
        return None


def map_columns(headers: list[str]) -> ColumnMap:
    """Map a header row to fields. Unknown columns are kept aside; missing 姓名/身份证号 is a file error.

    When two columns name the same field (联系电话 and 手机号), the first is read and the other is named in
    ``warnings``.
    """
    cmap = ColumnMap(headers=[normalize_text(h) for h in headers])
    for idx, text in enumerate(cmap.headers):
        if not text:
            continue
        key = header_field(text)
        if key is None:
            cmap.unknown.append(text)
        elif key in cmap.fields:
            cmap.duplicates.append(text)
        else:
            cmap.fields[key] = idx
    for key in REQUIRED_FIELDS:
        if key not in cmap.fields:
            cmap.missing.append(canonical_header(key))
    if cmap.missing:
        cmap.errors.append(
            _("The file has no %(columns)s column. Put the column headers in one row, e.g. %(example)s.")
            % {
                "columns": "、".join(cmap.missing),
                "example": "、".join(canonical_header(k) for k in (NAME, ID_NUMBER, VILLAGE)),
            }
        )
    if cmap.duplicates:
        cmap.warnings.append(
            _("These columns repeat a column already in the file and were not read: %(columns)s.")
            % {"columns": "、".join(cmap.duplicates)}
        )
    return cmap


# ---------------------------------------------------------------------------------------------------------
# Enumerated columns: the word staff write → the choice value. Keys are compared after enum_key().

ENUM_WORDS: dict[str, dict[str, str]] = {
    POVERTY_CATEGORY: {
        "脱贫户": PovertyCategory.OUT_OF_POVERTY.value,
        "脱贫人口": PovertyCategory.OUT_OF_POVERTY.value,
        "已脱贫户": PovertyCategory.OUT_OF_POVERTY.value,
        "脱贫不稳定户": PovertyCategory.UNSTABLE.value,
        "边缘易致贫户": PovertyCategory.MARGINAL.value,
        "突发严重困难户": PovertyCategory.SUDDEN_DIFFICULTY.value,
        "监测户": PovertyCategory.MONITORED.value,
        "监测对象": PovertyCategory.MONITORED.value,
        "防返贫监测户": PovertyCategory.MONITORED.value,
        "防返贫监测对象": PovertyCategory.MONITORED.value,
        "低收入户": PovertyCategory.LOW_INCOME.value,
        "农村低收入人口": PovertyCategory.LOW_INCOME.value,
        "低收入人口": PovertyCategory.LOW_INCOME.value,
        "一般户": PovertyCategory.GENERAL.value,
        "一般农户": PovertyCategory.GENERAL.value,
        "普通户": PovertyCategory.GENERAL.value,
        "非贫困户": PovertyCategory.GENERAL.value,
    },
    STATUS: {
        "省外务工": EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE.value,
        "省外就业": EmploymentStatus.EMPLOYED_OUT_OF_PROVINCE.value,
        "县外省内务工": EmploymentStatus.EMPLOYED_IN_PROVINCE.value,
        "省内县外务工": EmploymentStatus.EMPLOYED_IN_PROVINCE.value,
        "县外省内就业": EmploymentStatus.EMPLOYED_IN_PROVINCE.value,
        "省内县外就业": EmploymentStatus.EMPLOYED_IN_PROVINCE.value,
        "县内务工": EmploymentStatus.EMPLOYED_IN_COUNTY.value,
        "县内就业": EmploymentStatus.EMPLOYED_IN_COUNTY.value,
        "乡镇内务工": EmploymentStatus.EMPLOYED_LOCAL.value,
        "就近就业": EmploymentStatus.EMPLOYED_LOCAL.value,
        "本地就业": EmploymentStatus.EMPLOYED_LOCAL.value,
        "公益性岗位": EmploymentStatus.EMPLOYED_LOCAL.value,
        "灵活就业": EmploymentStatus.SELF_EMPLOYED.value,
        "自主创业": EmploymentStatus.STARTING_BUSINESS.value,
        "创业": EmploymentStatus.STARTING_BUSINESS.value,
        "未就业": EmploymentStatus.UNEMPLOYED_SEEKING.value,
        "待业": EmploymentStatus.UNEMPLOYED_SEEKING.value,
        "失业": EmploymentStatus.UNEMPLOYED_SEEKING.value,
        "无就业意愿": EmploymentStatus.NOT_SEEKING.value,
        "参加培训": EmploymentStatus.IN_TRAINING.value,
        "培训中": EmploymentStatus.IN_TRAINING.value,
        "在校生": EmploymentStatus.STUDENT.value,
        "学生": EmploymentStatus.STUDENT.value,
        "丧失劳动能力": EmploymentStatus.UNABLE.value,
        "无劳动能力": EmploymentStatus.UNABLE.value,
    },
    INTENT: {
        "就地过年": Intent.STAY_OVER.value,
        "留岗过年": Intent.STAY_OVER.value,
        "返乡": Intent.RETURN_HOME.value,
        "返乡过年": Intent.RETURN_HOME.value,
        "外出务工": Intent.GO_OUT.value,
        "外出": Intent.GO_OUT.value,
        "县内就业": Intent.LOCAL_JOB.value,
        "就近就业": Intent.LOCAL_JOB.value,
        "本地就业": Intent.LOCAL_JOB.value,
        "自主创业": Intent.START_BUSINESS.value,
        "创业": Intent.START_BUSINESS.value,
        "参加培训": Intent.TRAINING.value,
        "培训": Intent.TRAINING.value,
    },
}


def enum_key(text: object) -> str:
    return normalize_text(text).replace(" ", "")


_ENUM_INDEX: dict[str, dict[str, str]] = {
    column: {enum_key(word): value for word, value in words.items()} for column, words in ENUM_WORDS.items()
}


def lookup_enum(field_key: str, text: object) -> str | None:
    """The choice value for a word, or ``None`` if the word is not one the importer accepts."""
    index = _ENUM_INDEX[field_key]
    key = enum_key(text)
    found = index.get(key)
    if found is None:
        found = index.get(_strip_parens(key))
    return found


def accepted_words(field_key: str) -> list[str]:
    return list(ENUM_WORDS[field_key])


GENDER_WORDS: dict[str, str] = {"男": "M", "男性": "M", "M": "M", "女": "F", "女性": "F", "F": "F"}


# The template's example row. Its ID number is valid in form (sequence 000 is not issued) so the example
# shows a real shape; the validator rejects a row carrying it, in case the example is left in the file.
EXAMPLE_ID_NUMBER = "410329199001010005"
EXAMPLE_ROW: dict[str, str] = {
    NAME: "张示例",
    ID_NUMBER: EXAMPLE_ID_NUMBER,
    PHONE: "13800000000",
    GENDER: "男",
    VILLAGE: "西场社区",
    POVERTY_CATEGORY: "脱贫户",
    STATUS: "省外务工",
    WORK_PLACE: "江苏省苏州市",
    EMPLOYER_NAME: "示例电子有限公司",
    MONTHLY_INCOME: "4500",
    RETURN_DATE: "2021-02-09",
    INTENT: "外出务工",
    INTENT_DESTINATION: "江苏省苏州市",
    SKILLS: "电工、焊工",
    NOTES: "示例行，导入前请删除",
}
TEMPLATE_FIELDS: tuple[str, ...] = (
    NAME,
    ID_NUMBER,
    PHONE,
    GENDER,
    VILLAGE,
    POVERTY_CATEGORY,
    STATUS,
    WORK_PLACE,
    EMPLOYER_NAME,
    MONTHLY_INCOME,
    RETURN_DATE,
    INTENT,
    INTENT_DESTINATION,
    SKILLS,
    NOTES,
)
