"""The parser copes with what real Markdown files contain."""

from __future__ import annotations

from warroom.runbooks.extract import extract, field_of
from warroom.runbooks.parser import CodeBlock, ListBlock, Table, decode, parse


def test_setext_and_atx_headings_mix_and_keep_their_lines():
    text = "Runbook\n=======\n\nIntro\n\nCaches\n------\n\n### Redis down 🔥 (P1)\n\nbody\n"
    sections = parse(text).all_sections()
    assert [(s.heading, s.level, s.line) for s in sections] == [
        ("Runbook", 1, 1),
        ("Caches", 2, 6),
        ("Redis down 🔥 (P1)", 3, 9),
    ]
    assert sections[2].parent is sections[1]


def test_code_blocks_keep_language_and_hash_lines_stay_code():
    text = "# A\n\n```bash\n# not a heading\nls\n```\n\n~~~sql\nSELECT 1;\n~~~\n\n    indented\n"
    section = parse(text).sections[0]
    assert [s.heading for s in parse(text).all_sections()] == ["A"]
    code = [b for b in section.blocks if isinstance(b, CodeBlock)]
    assert [(c.language, c.code) for c in code] == [
        ("bash", "# not a heading\nls"),
        ("sql", "SELECT 1;"),
        ("", "indented"),
    ]


def test_escaped_fences_are_fences():
    text = "# A\n\n\\`\\`\\`bash\n# comment\nkubectl get pods\n\\`\\`\\`\n"
    parsed = parse(text)
    assert [s.heading for s in parsed.all_sections()] == ["A"]
    assert isinstance(parsed.sections[0].blocks[0], CodeBlock)


def test_unclosed_fence_does_not_swallow_the_file_into_headings():
    parsed = parse("# A\n\n```\n# inside\n")
    assert [s.heading for s in parsed.all_sections()] == ["A"]


def test_checklists_ordered_steps_nested_items_and_tables():
    text = (
        "# A\n\n- [ ] first\n- [x] second\n\n1. Do this\n   ```sh\n   run it\n   ```\n"
        "2. Then\n   - sub a\n   - sub b\n\n"
        "| Severity | Response Time |\n|---|---|\n| P1 | 15 min |\n"
    )
    blocks = parse(text).sections[0].blocks
    checklist, steps, table = blocks
    assert isinstance(checklist, ListBlock)
    assert [(i.text, i.checked) for i in checklist.items] == [("first", False), ("second", True)]
    assert isinstance(steps, ListBlock)
    assert steps.ordered
    assert steps.items[0].code[0].code == "run it"
    assert [c.text for c in steps.items[1].children] == ["sub a", "sub b"]
    assert isinstance(table, Table)
    assert table.header == ["Severity", "Response Time"]
    assert table.rows == [["P1", "15 min"]]


def test_broken_encodings_are_repaired_or_replaced():
    assert decode("Decision \u00e2\u2020\u2019 SEV1".encode()) == "Decision → SEV1"
    assert decode("caf\xe9 down".encode("cp1252")) == "café down"
    assert decode(b"\xef\xbb\xbfBOM first") == "BOM first"
    assert decode(b"line\r\nbreaks\rhere") == "line\nbreaks\nhere"


def test_field_labels():
    assert field_of("Symptoms") == "symptoms"
    assert field_of("**Investigation Steps:**") == "investigation"
    assert field_of("Diagnosis") == "investigation"
    assert field_of("Resolution") == "resolution"
    assert field_of("Verification After Rollback") == "verification"
    assert field_of("Database Issues") is None
    assert field_of("A very long heading that is not a label at all") is None


def test_a_runbook_without_incident_sections_has_no_entries():
    extraction = extract(parse("# Notes\n\nJust prose.\n\n## More\n\nText.\n"))
    assert [e.kind for e in extraction.entries] == ["section", "section"]
    assert extraction.severity_levels == []


def test_text_before_the_first_heading_and_files_without_headings_are_kept():
    parsed = parse("Intro line\n\n1. first step\n\n# Title\n\nbody\n")
    preamble, titled = parsed.sections
    assert (preamble.heading, preamble.line) == ("", 1)
    assert isinstance(preamble.blocks[1], ListBlock)
    assert parsed.title == "Title"
    assert titled.line == 5
    plain = parse("just some notes\nwith no headings\n")
    assert [s.body for s in plain.sections] == ["just some notes\nwith no headings"]
    assert plain.title == ""
