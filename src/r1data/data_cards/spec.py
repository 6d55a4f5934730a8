"""What a recipe (a run's or a mix's) says about its card: metadata the data itself cannot tell."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from r1data.core.configs import Config


class CardSpec(Config):
    """What the data card says that the data cannot tell (Hub metadata, license, citation)."""

    pretty_name: str | None = Field(None, description="The card's title (default: the run's name).")
    license: str | None = Field(
        None,
        description="The data's license (a Hub license id). Not set: the card says `unknown`, a warning "
        "says so, and publishing refuses it; r1data cannot know the license of your sources.",
    )
    task_categories: list[str] = Field(default_factory=lambda: ["text-generation"])
    language: list[str] = Field(default_factory=lambda: ["en"])
    tags: list[str] = Field(default_factory=lambda: ["reasoning", "r1", "synthetic"])
    description: str | None = None
    source_datasets: list[str] = Field(
        default_factory=list, description="Hub ids of the datasets the prompts came from (card metadata)."
    )
    citation: str | None = Field(None, description="BibTeX for the card's Citation section.")
    limitations: str | None = Field(None, description="More limitations for the card, beside r1data's own.")
    calibration: dict[str, Any] | None = Field(
        None,
        description="A labelled set the run's verifiers are measured on for the card: {path, mapping?, "
        "label?} (see r1data.verifiers.calibration).",
    )
