"""Argument checks shared by every module.

Each check returns the value (ints as `int`, numbers as `float`) or raises a ValueError
(a TypeError for an object of the wrong class) that names the argument, quotes the value
received and says what was expected.

Renamed arguments (`renamed_argument`) keep working under their old name with a
DeprecationWarning. The one name of an input's length (the steps or tokens a model reads or
trains on) is `sequence_length`, as in KerasHub's preprocessors and in the presets' metadata;
it replaced `max_length` (Seq2Seq, SequenceVAE, CPC, FineTunedModel/finetune),
`context_length` (Forecaster, ForecastStreamer) and `window_length` (SequenceAutoencoder).
A generated output's length keeps `max_length` (`generate(max_length=)`, as in KerasHub).
"""

import math
import numbers
import warnings


def check_positive_int(value, name):
    """An int > 0 (NumPy integers too, never a bool)."""
    return check_int(value, name, 1, expected="a positive int")


def check_int(value, name, minimum, expected=None, maximum=None):
    """An int >= `minimum` (and <= `maximum` when given; NumPy integers too, never a bool)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        raise ValueError(f"`{name}` must be {expected or f'an int >= {minimum}'}, received {value!r}.")
    return int(value)


def check_number(value, name, low=None, high=None, *, low_open=False, high_open=False, expected=None):
    """A finite real number (never a bool) within the bounds given; `*_open` excludes a bound.

    The message says `a number in [low, high)`, `a number > low`, ... unless `expected`
    words it otherwise."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        if expected is None and low is not None and high is not None:
            expected = f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        elif expected is None and low is not None:
            expected = f"a number {'>' if low_open else '>='} {low}"
        elif expected is None and high is not None:
            expected = f"a number {'<' if high_open else '<='} {high}"
        raise ValueError(f"`{name}` must be {expected or 'a finite number'}, received {value!r}.")
    return float(value)


def check_one_of(value, name, choices, hint=""):
    """One of `choices` (shown as given: pass `sorted(...)`/`list(...)` for the message);
    `hint` is appended to the message."""
    try:
        ok = value in choices
    except TypeError:  # an unhashable value against a dict or set
        ok = False
    if not ok:
        raise ValueError(f"`{name}` must be one of {choices}, received {value!r}.{hint}")
    return value


def renamed_argument(kwargs, old, new, value, default, stacklevel=3):
    """The value of an argument renamed from `old` to `new`: a keyword `old` left in `kwargs`
    is removed from it and used, with a DeprecationWarning naming both names; passing both
    is a TypeError. `value`/`default`: the new argument as received and its default.
    `stacklevel` 3 points the warning at the caller of the function that calls this."""
    if old not in kwargs:
        return value
    old_value = kwargs.pop(old)
    if value is not default and value != default:
        raise TypeError(
            f"`{old}` is the old name of `{new}`: pass only `{new}`, received {old}={old_value!r} and {new}={value!r}."
        )
    warnings.warn(
        f"`{old}` is deprecated and will be removed: use `{new}` (same meaning), received {old}={old_value!r}.",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return old_value


def no_other_arguments(kwargs, function):
    """After `renamed_argument` took the old names out of a `**kwargs`: anything left is a
    TypeError, as Python raises for an unknown keyword."""
    if kwargs:
        raise TypeError(f"{function}() got an unexpected keyword argument {next(iter(kwargs))!r}.")
