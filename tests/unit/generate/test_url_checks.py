"""URL checks assert what identifies a page, not every parameter a form happened to send."""

from __future__ import annotations

import re

from qaforge.generate.scenarios import Requirements, template_regex
from qaforge.models import AppModel, State, Target


def model(*templates: str) -> AppModel:
    states = [
        State(id=f"s{i}", url="http://h" + t.replace("{", "").replace("}", ""), url_template=t)
        for i, t in enumerate(templates)
    ]
    return AppModel(target=Target(url="http://h/"), states=states)


def test_a_lone_template_needs_no_query_key() -> None:
    req = Requirements(model("/issue?@columns={@columns}&@filter={@filter}", "/about"))
    assert req.identifying_keys("/issue?@columns={@columns}&@filter={@filter}") == []
    rx = template_regex("/issue?@columns={@columns}&@filter={@filter}", [])
    assert re.search(rx, "http://h/issue?@group=x")
    assert re.search(rx, "http://h/issue")
    assert not re.search(rx, "http://h/issue/7")


def test_keys_that_tell_two_templates_of_one_path_apart_are_kept() -> None:
    req = Requirements(
        model("/catalogue", "/catalogue?page={page}", "/catalogue?page={page}&q={q}")
    )
    assert req.identifying_keys("/catalogue?page={page}") == ["page"]
    keys = req.identifying_keys("/catalogue?page={page}&q={q}")
    assert keys == ["page", "q"]
    rx = template_regex("/catalogue?page={page}&q={q}", keys)
    assert re.search(rx, "http://h/catalogue?q=lamp&sort=asc&page=1")
    assert not re.search(rx, "http://h/catalogue?page=2")
