"""What changed in a PDF after a signature, judged by what a reader shows.

pyHanko's difference analysis judges each rewritten object of each later revision, and
refuses updates that EU DSS accepts: a document security store rewritten with a VRI entry
replaced or removed, a page dictionary rewritten to point at an identical copy of its
resources, a name tree of annotation appearances added, or a dangling reference it cannot
follow. When it refuses, `later_changes` compares the signed revision with the last one by
content (indirect references followed, object numbers ignored):

- the pages (their number; each page with its inherited attributes, without /Annots) and
  every catalog entry other than the form, the DSS, the metadata and the annotation
  appearance names must be the same: otherwise the change is not allowed;
- allowed, by level (pyHanko's `ModificationLevel`): the DSS, document timestamps, the XMP
  metadata and the extensions dictionary (LTA_UPDATES); a new signature field, or an empty
  one signed (FORM_FILLING); annotations other than form widgets added or changed
  (ANNOTATIONS). Anything else (a form field changed or added, an annotation removed) is not.

A comparison that would visit more than `NODE_BUDGET` objects is not allowed either.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel

__all__ = ["NODE_BUDGET", "LaterChanges", "later_changes"]

NODE_BUDGET = 500_000
"""The most objects one comparison visits before it gives up (and does not allow the change)."""

_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
_LTA_KEYS = ("/DSS", "/Metadata", "/Extensions")
_CATALOG_JUDGED = {"/AcroForm", "/Names", "/Pages", "/StructTreeRoot", *_LTA_KEYS}
_FORM_KEYS = {"/Fields", "/DR", "/SigFlags"}
_MAX_DEPTH = 64


@dataclass(frozen=True)
class LaterChanges:
    """The verdict on the revisions after a signature: allowed (with a level) or not, and why."""

    level: ModificationLevel | None
    changes: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def allowed(self) -> bool:
        """Whether every change is of an allowed kind."""
        return self.level is not None


class _NotAllowed(Exception):
    pass


@dataclass
class _Judge:
    old: HistoricalResolver
    new: HistoricalResolver
    judged: frozenset[generic.Reference] = frozenset()
    level: ModificationLevel = ModificationLevel.NONE
    changes: list[str] = field(default_factory=list)
    _assumed: set[tuple[Any, Any]] = field(default_factory=set)
    _budget: int = NODE_BUDGET

    def allow(self, level: ModificationLevel, what: str) -> None:
        self.level = max(self.level, level, key=lambda item: item.value)
        self.changes.append(what)

    # -- content equality -------------------------------------------------------------------

    def equal(self, a: Any, b: Any) -> bool:
        """`same`, forgetting what it assumed when the answer is no (so no later answer uses it)."""
        assumed = set(self._assumed)
        if self.same(a, b):
            return True
        self._assumed = assumed
        return False

    def equal_dict(self, a: Any, b: Any, skip: set[str]) -> bool:
        """`same_dict`, forgetting what it assumed when the answer is no."""
        assumed = set(self._assumed)
        if self.same_dict(a, b, skip):
            return True
        self._assumed = assumed
        return False

    def same(self, a: Any, b: Any) -> bool:
        """Whether ``a`` (old revision) and ``b`` (new) have the same content."""
        self._budget -= 1
        if self._budget < 0:
            raise _NotAllowed("the document is too large to compare")
        if isinstance(a, generic.IndirectObject) and isinstance(b, generic.IndirectObject):
            if a.reference in self.judged or b.reference in self.judged:
                # Pages, annotations and form fields have their own rules: here, by reference.
                return a.reference == b.reference
            pair = (a.reference, b.reference)
            if pair in self._assumed:
                return True
            self._assumed.add(pair)
        a, b = _direct(a), _direct(b)
        if isinstance(a, generic.StreamObject) or isinstance(b, generic.StreamObject):
            return (
                isinstance(a, generic.StreamObject)
                and isinstance(b, generic.StreamObject)
                and a.encoded_data == b.encoded_data
                and self.same_dict(a, b, skip={"/Length"})
            )
        if isinstance(a, generic.DictionaryObject) or isinstance(b, generic.DictionaryObject):
            return (
                isinstance(a, generic.DictionaryObject)
                and isinstance(b, generic.DictionaryObject)
                and self.same_dict(a, b, skip={"/Parent"})
            )
        if isinstance(a, generic.ArrayObject) or isinstance(b, generic.ArrayObject):
            return (
                isinstance(a, generic.ArrayObject)
                and isinstance(b, generic.ArrayObject)
                and len(a) == len(b)
                and all(self.same(x, y) for x, y in zip(_items(a), _items(b), strict=True))
            )
        if isinstance(a, generic.NullObject) or a is None:
            return type(a) is type(b)
        return type(a) is type(b) and bool(a == b)

    def same_dict(self, a: Any, b: Any, skip: set[str]) -> bool:
        keys = set(a.keys()) - skip
        return keys == set(b.keys()) - skip and all(
            self.same(_entry(a, key), _entry(b, key)) for key in keys
        )

    # -- the parts of the document -----------------------------------------------------------

    def catalog(self) -> None:
        old, new = self.old.root, self.new.root
        for key in (set(old.keys()) | set(new.keys())) - _CATALOG_JUDGED:
            if not self.equal(
                old.raw_get(key) if key in old else None, new.raw_get(key) if key in new else None
            ):
                raise _NotAllowed(f"the catalog entry {key} changed")
        for key in _LTA_KEYS:
            if not self.equal(_get(old, key), _get(new, key)):
                self.allow(ModificationLevel.LTA_UPDATES, _LTA_WHAT[key])
        self.vri(_get(_get(old, "/DSS"), "/VRI"), _get(_get(new, "/DSS"), "/VRI"))
        if not self.equal(_get(old, "/StructTreeRoot"), _get(new, "/StructTreeRoot")):
            self.allow(ModificationLevel.ANNOTATIONS, "the structure tree (tagging) changed")
        self.names(_direct(_get(old, "/Names")), _direct(_get(new, "/Names")))

    def vri(self, old: Any, new: Any) -> None:
        """Name the VRI entries (validation data per signature) a later DSS replaced or removed."""
        old, new = _as_dict(old, "/DSS /VRI"), _as_dict(new, "/DSS /VRI")
        removed = [key for key in old if key not in new]
        replaced = [
            key for key in old if key in new and not self.equal(old.raw_get(key), new.raw_get(key))
        ]
        if removed or replaced:
            self.allow(
                ModificationLevel.LTA_UPDATES,
                f"VRI entries of the DSS replaced: {len(replaced)}, removed: {len(removed)}",
            )

    def names(self, old: Any, new: Any) -> None:
        old, new = _as_dict(old, "/Names"), _as_dict(new, "/Names")
        if not self.equal_dict(old, new, skip={"/AP"}):
            raise _NotAllowed("the document's name trees changed (scripts, files or destinations)")
        if not self.equal(_get(old, "/AP"), _get(new, "/AP")):
            self.allow(ModificationLevel.ANNOTATIONS, "annotation appearances added or changed")

    def pages(self) -> None:
        old = list(_pages(self.old.root.raw_get("/Pages")))
        new = list(_pages(self.new.root.raw_get("/Pages")))
        if len(old) != len(new):
            raise _NotAllowed(f"pages were added or removed ({len(old)} before, {len(new)} now)")
        for number, ((_, old_page, old_inherited), (_, new_page, new_inherited)) in enumerate(
            zip(old, new, strict=True), start=1
        ):
            same = self.equal_dict(old_page, new_page, skip={"/Parent", "/Annots"}) and all(
                self.equal(old_inherited.get(key), new_inherited.get(key)) for key in _INHERITED
            )
            if not same:
                raise _NotAllowed(f"the content of page {number} changed")
            self.annotations(number, _get(old_page, "/Annots"), _get(new_page, "/Annots"))

    def annotations(self, page: int, old: Any, new: Any) -> None:
        old_list = _refs(old, f"page {page} /Annots")
        new_list = _refs(new, f"page {page} /Annots")
        if not set(old_list) <= set(new_list):
            raise _NotAllowed(f"annotations were removed from page {page}")
        for reference in new_list:
            annotation = self.new(reference)
            widget = _get(annotation, "/Subtype") == "/Widget"
            if reference not in old_list:
                if widget:
                    self.signature_field(annotation, f"a form field was added on page {page}")
                else:
                    self.allow(
                        ModificationLevel.ANNOTATIONS, f"an annotation was added on page {page}"
                    )
            elif not self.equal(self.old(reference), annotation):
                if widget:
                    self.signature_field(
                        annotation, f"a form field changed on page {page}", was=self.old(reference)
                    )
                else:
                    self.allow(
                        ModificationLevel.ANNOTATIONS, f"an annotation changed on page {page}"
                    )

    def form(self) -> None:
        old = _as_dict(_get(self.old.root, "/AcroForm"), "/AcroForm")
        new = _as_dict(_get(self.new.root, "/AcroForm"), "/AcroForm")
        if not self.equal_dict(old, new, skip=_FORM_KEYS):
            raise _NotAllowed("the form's settings changed")
        for key in ("/DR", "/SigFlags"):
            if not self.equal(_get(old, key), _get(new, key)):
                self.allow(ModificationLevel.FORM_FILLING, f"the form's {key} changed")
        old_fields = _refs(_get(old, "/Fields"), "/AcroForm /Fields")
        new_fields = _refs(_get(new, "/Fields"), "/AcroForm /Fields")
        if not set(old_fields) <= set(new_fields):
            raise _NotAllowed("form fields were removed")
        for reference in new_fields:
            if reference not in old_fields:
                self.signature_field(self.new(reference), "a form field was added")
            elif not self.equal(self.old(reference), self.new(reference)):
                self.signature_field(
                    self.new(reference), "a form field changed", was=self.old(reference)
                )

    def signature_field(self, value: Any, refused: str, was: Any = None) -> None:
        """Allow a new signature field, or an empty one signed; refuse any other field change.

        ``was`` is the field (or widget) as signed: a signature field that already held a
        signature may not change at all (not even its appearance).
        """
        if _field_type(value) != "/Sig" or (
            was is not None and _get(_field(was), "/V") is not None
        ):
            raise _NotAllowed(refused)
        signature = _direct(_get(_field(value), "/V"))
        if _get(signature, "/Type") == "/DocTimeStamp":
            self.allow(ModificationLevel.LTA_UPDATES, "a document timestamp was added")
        else:
            self.allow(ModificationLevel.FORM_FILLING, "a signature field was added or signed")


_LTA_WHAT = {
    "/DSS": "validation data (the DSS) added or rewritten",
    "/Metadata": "the XMP metadata changed",
    "/Extensions": "the extensions dictionary changed",
}


def later_changes(reader: PdfFileReader, signed_revision: int) -> LaterChanges:
    """Judge everything after ``signed_revision`` by content (see the module docstring)."""
    last = reader.xrefs.total_revisions - 1
    if signed_revision >= last:
        return LaterChanges(ModificationLevel.NONE)
    old, new = reader.get_historical_resolver(signed_revision), reader.get_historical_resolver(last)
    judge = _Judge(old, new)
    try:
        judge.judged = frozenset(_judged_apart(old) | _judged_apart(new))
        judge.catalog()
        judge.pages()
        judge.form()
    except _NotAllowed as refusal:
        return LaterChanges(None, tuple(judge.changes), str(refusal))
    except (PdfError, ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        return LaterChanges(None, tuple(judge.changes), f"could not be compared ({error!r})")
    except RecursionError:
        return LaterChanges(None, tuple(judge.changes), "could not be compared (nested too deeply)")
    return LaterChanges(judge.level, tuple(dict.fromkeys(judge.changes)))


def _items(array: Any) -> list[Any]:
    """The members of an array, references not followed."""
    if not isinstance(array, generic.ArrayObject):
        raise _NotAllowed("an array was expected")
    return [array.raw_get(index) for index in range(len(array))]


def _entry(dictionary: Any, key: str) -> Any:
    """An entry, references not followed; a signature's /Contents as stored.

    In an encrypted PDF a signature dictionary's /Contents is not encrypted (ISO 32000-1
    7.6.1): decrypting it would fail, or give noise.
    """
    if key == "/Contents" and "/ByteRange" in dictionary:
        return dictionary.raw_get(key, decrypt=generic.EncryptedObjAccess.RAW)
    return dictionary.raw_get(key)


def _direct(value: Any) -> Any:
    if isinstance(value, generic.IndirectObject):
        return value.get_object()  # type: ignore[no-untyped-call]
    return value


_EMPTY: Any = generic.DictionaryObject()  # type: ignore[no-untyped-call]


def _as_dict(value: Any, what: str) -> Any:
    """The dictionary ``value`` refers to; an empty one for none."""
    value = _direct(value)
    if value is None:
        return _EMPTY
    if not isinstance(value, generic.DictionaryObject):
        raise _NotAllowed(f"{what} is not a dictionary")
    return value


def _get(container: Any, key: str) -> Any:
    container = _direct(container)
    if isinstance(container, generic.DictionaryObject) and key in container:
        return container.raw_get(key)
    return None


def _judged_apart(resolver: HistoricalResolver) -> set[generic.Reference]:
    """The pages, annotations and form fields of a revision: judged by their own rules."""
    found: set[generic.Reference] = set()
    for reference, page, _ in _pages(resolver.root.raw_get("/Pages")):
        if reference is not None:
            found.add(reference)
        found.update(_refs(_get(page, "/Annots"), "/Annots"))
    found.update(_refs(_get(_get(resolver.root, "/AcroForm"), "/Fields"), "/AcroForm /Fields"))
    return found


def _refs(value: Any, where: str) -> list[generic.Reference]:
    """The references in an array of indirect objects (a direct member is not allowed)."""
    value = _direct(value)
    if value is None:
        return []
    if not isinstance(value, generic.ArrayObject):
        raise _NotAllowed(f"{where} is not an array")
    found = []
    for item in _items(value):
        if not isinstance(item, generic.IndirectObject):
            raise _NotAllowed(f"{where} holds a direct object")
        found.append(item.reference)
    return found


def _field(value: Any) -> Any:
    """The field a widget belongs to (itself when merged, else its /Parent)."""
    value = _direct(value)
    return value if "/FT" in value or "/Parent" not in value else _direct(value["/Parent"])


def _field_type(value: Any) -> Any:
    return _get(_field(value), "/FT")


def _pages(
    node: Any, inherited: dict[str, Any] | None = None, depth: int = 0
) -> Iterator[tuple[generic.Reference | None, Any, dict[str, Any]]]:
    """Every page with the attributes it inherits, in order."""
    if depth > _MAX_DEPTH:
        raise _NotAllowed("the page tree is too deep")
    reference = node.reference if isinstance(node, generic.IndirectObject) else None
    node = _direct(node)
    if not isinstance(node, generic.DictionaryObject):
        raise _NotAllowed("the page tree holds something other than a dictionary")
    attributes = dict(inherited or {})
    for key in _INHERITED:
        if key in node:
            attributes[key] = node.raw_get(key)
    if _get(node, "/Type") == "/Pages" or "/Kids" in node:
        for kid in _items(_direct(node.raw_get("/Kids"))):
            yield from _pages(kid, attributes, depth + 1)
    else:
        yield reference, node, attributes
