"""How the repository's invoke tasks read their command line: the same habits in every task.

- Short flags: only `SHORT_FLAGS`, one meaning wherever the long flag exists (invoke would
  derive one from each flag's first free letter, so one letter meant several flags).
- Keyword-only parameters are flags, never positional; a missing required flag is one line
  naming it (`--env development`).
- An unknown task or flag gets the nearest known one suggested.
- A flag value invoke cannot convert (`--parallel abc`) is one line naming the flag, not a
  traceback.

`tasks.py` declares its tasks with `task` from here.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable
from typing import Any

from invoke.exceptions import Exit, ParseError
from invoke.parser.argument import Argument
from invoke.parser.parser import ParseMachine
from invoke.tasks import Task
from invoke.tasks import task as invoke_task

# The only short flags, one meaning in every task that has the long one. invoke would derive one
# from each flag's first free letter (so `-o` meant --no-policy, --confirm or --output, and `-a`
# five flags): that is switched off for every task.
SHORT_FLAGS = {"env": "e", "project": "p", "yes": "y"}
# What a missing required flag's message shows as an example value.
FLAG_EXAMPLES = {"env": "development"}


class CheckedArgument(Argument):
    """A flag whose value invoke converts (by its default's type, such as int): a value that
    does not convert is a ParseError, which invoke prints as one line (exit 1)."""

    def set_value(self, value: Any, cast: bool = True) -> None:
        try:
            super().set_value(value, cast)
        except ValueError:
            flag = "--" + (self.name or "").rstrip("_").replace("_", "-")
            kind = "a whole number" if self.kind is int else f"a {self.kind.__name__}"
            example = " (e.g. 4)" if self.kind is int else ""
            raise ParseError(f"{flag} {value!r} is not {kind}{example}") from None


class RepoTask(Task[Any]):
    """A task with only SHORT_FLAGS' short flags, whose keyword-only parameters are flags.

    invoke makes every parameter without a default positional, so `invoke plan --evn dev` took
    `--evn` for the environment and a missing --env read "did not receive required positional
    arguments". Here only the parameters before `*` are positional; a required flag that is
    missing is one line naming it (`--env development`).
    """

    def __init__(self, body: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("positional") is None:
            kwargs["positional"] = [
                parameter.name
                for parameter in list(inspect.signature(body).parameters.values())[1:]
                if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
                and parameter.default is inspect.Parameter.empty
            ]
        super().__init__(body, **{**kwargs, "auto_shortflags": False})

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        arguments = super().get_arguments(ignore_unknown_help)
        for argument in arguments:
            if argument.kind not in {str, bool, list}:
                argument.__class__ = CheckedArgument
            short = SHORT_FLAGS.get(argument.name or "")
            if short and short not in argument.names:
                argument.names = (*argument.names, short)
        return arguments

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for parameter in inspect.signature(self.body).parameters.values():
            required = parameter.kind is inspect.Parameter.KEYWORD_ONLY and (
                parameter.default is inspect.Parameter.empty
            )
            if required and kwargs.get(parameter.name) is None:
                flag = "--" + parameter.name.rstrip("_").replace("_", "-")
                example = FLAG_EXAMPLES.get(parameter.name, parameter.name.upper())
                name = self.name.replace("_", "-")
                raise Exit(f"invoke {name} needs the flag {flag}: e.g. {flag} {example}", 1)
        return super().__call__(*args, **kwargs)


UNKNOWN_WORD = re.compile(r"No idea what '(?P<word>.+)' is!")


def _nearest(parser: ParseMachine, word: str) -> str:
    """` Did you mean 'X'?` for an unknown task or flag close to a known one, else ``."""
    if word.startswith("-"):
        # The flags of the task being parsed (long names: --env, --no-refresh, ...).
        context = parser.context
        known = [*context.flags, *context.inverse_flags] if context else []
        known = [name for name in known if name.startswith("--")]
    else:
        known = [name for name in parser.contexts if not name.startswith("-")]
    # Compared without the dashes, which every flag shares.
    by_word = {name.lstrip("-"): name for name in known}
    nearest = difflib.get_close_matches(word.split("=", 1)[0].lstrip("-"), by_word, n=1)
    return f" Did you mean {by_word[nearest[0]]!r}?" if nearest else ""


def _suggest_on_parse_errors() -> None:
    """Make invoke's "No idea what 'plna' is!" name the nearest task or flag.

    invoke's command line parser (built by its Program, which `invoke` runs) reports an unknown
    word through its state machine's `error` and has no hook for a tasks.py: this wraps that
    method, once, to append the suggestion (a test checks it still does). invoke loads this file
    before it parses the tasks' words.
    """
    original = getattr(ParseMachine, "error", None)
    if original is None or getattr(original, "suggests", False):
        return

    def error(self: ParseMachine, msg: str) -> None:
        match = UNKNOWN_WORD.fullmatch(msg)
        original(self, msg + _nearest(self, match["word"]) if match else msg)

    error.suggests = True  # type: ignore[attr-defined]
    ParseMachine.error = error  # type: ignore[method-assign]


_suggest_on_parse_errors()


def task(*args: Any, **kwargs: Any) -> Callable[..., Any]:
    """invoke's @task (bare or with options), making a RepoTask."""
    return invoke_task(*args, klass=RepoTask, **kwargs)
