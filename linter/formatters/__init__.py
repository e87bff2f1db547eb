"""The built-in formatters, by ``--format`` name.

They are registered through the ``pylint_image.formatters`` entry-point group exactly like
third-party formatters (see pyproject.toml); this table names them without importing them,
so that importing the package stays cheap, and a test checks it matches the entry points.
"""

from __future__ import annotations

BUILTIN_FORMATTERS: dict[str, str] = {
    "text": "pylint_image.linter.formatters.text:TextFormatter",
    "json": "pylint_image.linter.formatters.json:JsonFormatter",
    "sarif": "pylint_image.linter.formatters.sarif:SarifFormatter",
    "github": "pylint_image.linter.formatters.github:GithubFormatter",
    "html": "pylint_image.linter.formatters.html:HtmlFormatter",
    "gitlab": "pylint_image.linter.formatters.gitlab:GitlabFormatter",
    "codeclimate": "pylint_image.linter.formatters.codeclimate:CodeClimateFormatter",
    "checkstyle": "pylint_image.linter.formatters.checkstyle:CheckstyleFormatter",
    "junit": "pylint_image.linter.formatters.junit:JunitFormatter",
    "sonarqube": "pylint_image.linter.formatters.sonarqube:SonarqubeFormatter",
}

__all__ = ["BUILTIN_FORMATTERS"]
