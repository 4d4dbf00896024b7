"""Translation files and icons.json: hassfest's structure, the same keys and placeholders in
every language, and every key the code asks for.

The code side is read with ``ast`` (no import, no Home Assistant): the error and abort keys of
the config and options flows, the ``translation_key`` literals of every module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import re
from typing import Any

import pytest
import voluptuous as vol

from custom_components.fluvius.flow_validation import FLOW_ERROR_KEYS
from custom_components.fluvius.helpers import _ERROR_KEYS

from .conftest import INTEGRATION, LANGUAGES, load_json

KEY = re.compile(r"^[a-z0-9_-]+$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
ICON = re.compile(r"^mdi:[a-z0-9]+(-[a-z0-9]+)*$")


def _key(value: Any) -> str:
    if not isinstance(value, str) or not KEY.match(value):
        raise vol.Invalid(f"translation key {value!r} must be lower case [a-z0-9_-]")
    return value


def _text(value: Any) -> str:
    """A translated string as hassfest accepts it."""
    if not isinstance(value, str) or not value.strip():
        raise vol.Invalid("empty string")
    if value != value.strip():
        raise vol.Invalid(f"leading or trailing whitespace in {value[:40]!r}")
    if "[%key:" in value:
        raise vol.Invalid("a custom integration ships full strings, no [%key:...] references")
    if re.search(r"<[a-z/][^>]*>", value):
        raise vol.Invalid(f"HTML in {value[:60]!r}")
    if re.search(r"'\{\w+\}'", value):
        raise vol.Invalid(f"single-quoted placeholder in {value[:60]!r}")
    if re.search(r"https?://[\w-]+\.[\w.-]+", value):
        raise vol.Invalid(f"URL in {value[:60]!r}: pass it as a description placeholder")
    for name in PLACEHOLDER.findall(value):
        if not re.fullmatch(r"\w+", name):
            raise vol.Invalid(f"malformed placeholder {{{name}}} in {value[:60]!r}")
    if value.count("{") != value.count("}"):
        raise vol.Invalid(f"unbalanced braces in {value[:60]!r}")
    return value


TEXTS = vol.Schema({_key: _text})
STEP = vol.Schema(
    {
        vol.Optional("title"): _text,
        vol.Optional("description"): _text,
        vol.Optional("submit"): _text,
        vol.Optional("data"): TEXTS,
        vol.Optional("data_description"): TEXTS,
        vol.Optional("menu_options"): TEXTS,
        vol.Optional("sections"): {
            _key: {
                vol.Optional("name"): _text,
                vol.Optional("description"): _text,
                vol.Optional("data"): TEXTS,
                vol.Optional("data_description"): TEXTS,
            }
        },
    }
)
FLOW = vol.Schema(
    {
        vol.Optional("title"): _text,
        vol.Optional("flow_title"): _text,
        vol.Optional("step"): {_key: STEP},
        vol.Optional("error"): TEXTS,
        vol.Optional("abort"): TEXTS,
        vol.Optional("progress"): TEXTS,
        vol.Optional("create_entry"): TEXTS,
        vol.Optional("initiate_flow"): TEXTS,
    }
)
ISSUE = vol.All(
    vol.Schema(
        {
            vol.Required("title"): _text,
            vol.Optional("description"): _text,
            vol.Optional("fix_flow"): FLOW,
        }
    ),
    vol.Any(
        vol.Schema({"description": _text}, extra=vol.ALLOW_EXTRA),
        vol.Schema({"fix_flow": FLOW}, extra=vol.ALLOW_EXTRA),
    ),
)
ENTITY = vol.Schema(
    {
        vol.Optional("name"): _text,
        vol.Optional("unit_of_measurement"): _text,
        vol.Optional("state"): TEXTS,
        vol.Optional("state_attributes"): {
            _key: {vol.Optional("name"): _text, vol.Optional("state"): TEXTS}
        },
    }
)
TRANSLATIONS = vol.Schema(
    {
        vol.Optional("title"): _text,
        vol.Optional("config"): FLOW,
        vol.Optional("options"): FLOW,
        vol.Optional("selector"): {_key: {vol.Required("options"): TEXTS}},
        vol.Optional("entity"): {_key: {_key: ENTITY}},
        vol.Optional("exceptions"): {_key: {vol.Required("message"): _text}},
        vol.Optional("issues"): {_key: ISSUE},
        vol.Optional("services"): {
            _key: {
                vol.Required("name"): _text,
                vol.Required("description"): _text,
                vol.Optional("fields"): {
                    _key: {vol.Required("name"): _text, vol.Required("description"): _text}
                },
            }
        },
        vol.Optional("device"): {_key: {vol.Required("name"): _text}},
    }
)
ICONS = vol.Schema(
    {
        vol.Optional("entity"): {
            _key: {
                _key: {
                    vol.Optional("default"): vol.Match(ICON),
                    vol.Optional("state"): {str: vol.Match(ICON)},
                    vol.Optional("range"): {str: vol.Match(ICON)},
                    vol.Optional("state_attributes"): {
                        _key: {
                            vol.Optional("default"): vol.Match(ICON),
                            vol.Optional("state"): {str: vol.Match(ICON)},
                        }
                    },
                }
            }
        },
        vol.Optional("services"): {_key: {vol.Required("service"): vol.Match(ICON)}},
    }
)


def _translations(language: str) -> dict[str, Any]:
    data: dict[str, Any] = load_json(INTEGRATION / "translations" / f"{language}.json")
    return data


def _flatten(node: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in node.items():
        if isinstance(value, dict):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


# --- structure ------------------------------------------------------------------------------


def test_exactly_four_languages() -> None:
    files = sorted(path.stem for path in (INTEGRATION / "translations").glob("*.json"))
    assert files == sorted(LANGUAGES)
    assert not (INTEGRATION / "strings.json").exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_schema(language: str) -> None:
    TRANSLATIONS(_translations(language))


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_same_keys_and_placeholders_as_english(language: str) -> None:
    english = _flatten(_translations("en"))
    other = _flatten(_translations(language))
    assert sorted(set(english) - set(other)) == [], f"missing in {language}"
    assert sorted(set(other) - set(english)) == [], f"not in English ({language})"
    different = [
        key
        for key, text in english.items()
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(other[key]))
    ]
    assert different == [], f"placeholders differ in {language}"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_translated_not_copied(language: str) -> None:
    """A language file that is mostly English was not translated."""
    english = _flatten(_translations("en"))
    other = _flatten(_translations(language))
    long_texts = [key for key, text in english.items() if len(text) > 40]
    copied = [key for key in long_texts if other[key] == english[key]]
    assert len(copied) <= len(long_texts) // 10, copied


# --- keys the code uses ---------------------------------------------------------------------


def _module(name: str) -> ast.Module:
    return ast.parse((INTEGRATION / name).read_text(encoding="utf-8"))


# The modules of the config and options flows: the flows and the checks that give their errors.
FLOW_MODULES = ("config_flow.py", "options_flow.py", "flow_validation.py")


def _flow_module() -> ast.Module:
    """The flow modules' top-level statements, as one module."""
    body = [node for name in FLOW_MODULES for node in _module(name).body]
    return ast.Module(body=body, type_ignores=[])


def _strings(node: ast.AST | None) -> Iterator[str]:
    """String constants an expression can evaluate to (literals, conditional expressions)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, ast.Tuple) and node.elts:
        yield from _strings(node.elts[0])
    elif isinstance(node, ast.Dict):  # {...}.get(x, default): a mapping of keys
        for value in node.values:
            yield from _strings(value)


def _flow_keys() -> dict[str, set[str]]:
    """``{config,options}.{error,abort}`` keys that the flow modules can produce."""
    tree = _flow_module()
    keys: dict[str, set[str]] = {
        "config.error": set(),
        "config.abort": set(),
        "options.error": set(),
        "options.abort": set(),
    }
    # Module functions that return error keys (credential check, URL check).
    error_functions: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and (
            "validate" in node.name or "error" in node.name
        ):
            error_functions.add(node.name)
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return):
                    keys["config.error"].update(_strings(sub.value))
                if isinstance(sub, ast.Assign) and any(
                    isinstance(target, ast.Subscript) and ast.unparse(target.value) == "errors"
                    for target in sub.targets
                ):
                    keys["config.error"].update(_strings(sub.value))  # field checks
    # Client errors: the one mapping of helpers.error_key, as the config flow shows it.
    keys["config.error"].update(FLOW_ERROR_KEYS.get(key, key) for _, key in _ERROR_KEYS)
    helpers = ast.parse((INTEGRATION / "helpers.py").read_text(encoding="utf-8"))
    for node in helpers.body:
        if isinstance(node, ast.FunctionDef) and node.name == "error_key":
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return):
                    keys["config.error"].update(_strings(sub.value))
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        bases = {ast.unparse(base) for base in cls.bases}
        flow = "options" if any("OptionsFlow" in base for base in bases) else "config"
        if not any("Flow" in base for base in bases):
            continue
        for sub in ast.walk(cls):
            if isinstance(sub, ast.Assign):
                for target in sub.targets:
                    if isinstance(target, ast.Subscript) and ast.unparse(target.value) == "errors":
                        keys[f"{flow}.error"].update(_strings(sub.value))
                    if isinstance(target, ast.Name) and target.id == "reason":
                        keys[f"{flow}.abort"].update(_strings(sub.value))
            if isinstance(sub, ast.Call):
                called = ast.unparse(sub.func)
                for keyword in sub.keywords:
                    if keyword.arg == "reason":
                        keys[f"{flow}.abort"].update(_strings(keyword.value))
                if called.endswith("_abort_if_unique_id_configured"):
                    keys[f"{flow}.abort"].add("already_configured")
                if called.endswith("_abort_if_unique_id_mismatch"):
                    keys[f"{flow}.abort"].add("unique_id_mismatch")
            if isinstance(sub, ast.AsyncFunctionDef) and sub.name == "async_step_reauth_confirm":
                keys[f"{flow}.abort"].add("reauth_successful")
            if isinstance(sub, ast.AsyncFunctionDef) and sub.name == "async_step_reconfigure":
                keys[f"{flow}.abort"].add("reconfigure_successful")
    return keys


def test_flow_keys_are_found() -> None:
    """The AST scan itself works: the standard keys of the design are among its findings."""
    keys = _flow_keys()
    assert {"invalid_auth", "cannot_connect", "unknown"} <= keys["config.error"]
    assert {"too_long", "required", "invalid_response", "no_mandate", "api_error"} <= keys[
        "config.error"
    ]
    assert not {"rate_limited", "server_error"} & keys["config.error"]
    assert "already_configured" in keys["config.abort"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_flow_key_is_translated(language: str) -> None:
    flat = _flatten(_translations(language))
    missing = [
        f"{section}.{key}"
        for section, found in _flow_keys().items()
        for key in sorted(found)
        if f"{section}.{key}" not in flat
    ]
    assert missing == []


def test_every_step_is_translated() -> None:
    """Each ``async_step_<id>`` that shows a form has a title in English."""
    english = _translations("en")
    tree = _flow_module()
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        flow = "options" if any("OptionsFlow" in ast.unparse(b) for b in cls.bases) else "config"
        for sub in ast.walk(cls):
            if not (
                isinstance(sub, ast.Call) and ast.unparse(sub.func).endswith("async_show_form")
            ):
                continue
            for keyword in sub.keywords:
                if keyword.arg == "step_id":
                    for step in _strings(keyword.value):
                        assert step in english[flow]["step"], f"{flow}.step.{step}"


def _translation_keys_in_code() -> set[str]:
    found: set[str] = set()
    for path in INTEGRATION.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "translation_key":
                found.update(_strings(node.value))
    return found


def test_exception_and_issue_keys_exist() -> None:
    """Literal ``translation_key=`` values name an exception, an issue or a selector."""
    english = _translations("en")
    known = (
        set(english.get("exceptions", {}))
        | set(english.get("issues", {}))
        | set(english.get("selector", {}))
        | {key for platform in english.get("entity", {}).values() for key in platform}
    )
    assert sorted(_translation_keys_in_code() - known) == []


HOME_ASSISTANT_ERRORS = frozenset(
    {
        "HomeAssistantError",
        "ServiceValidationError",
        "ConfigEntryError",
        "ConfigEntryNotReady",
        "ConfigEntryAuthFailed",
        "UpdateFailed",
    }
)


def test_every_home_assistant_error_is_translated() -> None:
    """Each Home Assistant error the integration creates names its translation (domain and
    key, no untranslated message): the user reads the reason in their language."""
    untranslated: list[str] = []
    for path in sorted(INTEGRATION.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (  # a class raised bare: no translation at all
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Name | ast.Attribute)
                and ast.unparse(node.exc).rsplit(".", 1)[-1] in HOME_ASSISTANT_ERRORS
            ):
                untranslated.append(f"{path.name}:{node.lineno}")
            if (
                not isinstance(node, ast.Call)
                or ast.unparse(node.func).rsplit(".", 1)[-1] not in HOME_ASSISTANT_ERRORS
            ):
                continue
            keywords = {keyword.arg for keyword in node.keywords}
            if node.args or not {"translation_domain", "translation_key"} <= keywords:
                untranslated.append(f"{path.name}:{node.lineno}")
    assert untranslated == []


# --- icons.json ------------------------------------------------------------------------------


def test_icons_schema() -> None:
    ICONS(load_json(INTEGRATION / "icons.json"))


def test_icons_name_translated_entities() -> None:
    """An icon for an entity translation key that does not exist is a typo."""
    icons = load_json(INTEGRATION / "icons.json").get("entity", {})
    entities = _translations("en").get("entity", {})
    unknown = [
        f"{platform}.{key}"
        for platform, by_key in icons.items()
        for key in by_key
        if key not in entities.get(platform, {})
    ]
    assert unknown == []


def test_grid_icons_follow_core() -> None:
    """As in Home Assistant core (sunsynk, imeon_inverter, zonneplan, tesla_fleet): energy
    taken from the grid is the tower's import icon, energy fed into it the export icon."""
    sensors = load_json(INTEGRATION / "icons.json")["entity"]["sensor"]
    assert sensors["offtake_last_day"]["default"] == "mdi:transmission-tower-import"
    assert sensors["injection_last_day"]["default"] == "mdi:transmission-tower-export"
