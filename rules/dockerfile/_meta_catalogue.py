"""Instruction, stage, metadata and COPY/ADD rules of the catalogue (issue 5): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

from . import (
    df0004_empty_continuation_line,
    df0005_legacy_key_value_format,
    df1003_constant_from_platform,
    df1004_redundant_target_platform,
    df1005_duplicate_stage_name,
    df1006_reserved_stage_name,
    df1007_stage_name_casing,
    df1008_from_as_casing,
    df3004_maintainer_instruction,
    df3005_overridden_instruction,
    df3006_non_numeric_user,
    df3007_relative_workdir,
    df3008_secret_in_arg_or_env,
    df3009_expose_protocol_casing,
    df4002_add_instead_of_copy,
    df4003_copy_relative_dest_without_workdir,
    df4004_copy_entire_stage_filesystem,
    df4005_copy_multiple_sources_to_file,
    df4006_copy_from_unknown_stage,
)

META_RULES: tuple = (
    df0004_empty_continuation_line.RULE,
    df0005_legacy_key_value_format.RULE,
    df1003_constant_from_platform.RULE,
    df1004_redundant_target_platform.RULE,
    df1005_duplicate_stage_name.RULE,
    df1006_reserved_stage_name.RULE,
    df1007_stage_name_casing.RULE,
    df1008_from_as_casing.RULE,
    df3004_maintainer_instruction.RULE,
    df3005_overridden_instruction.RULE,
    df3006_non_numeric_user.RULE,
    df3007_relative_workdir.RULE,
    df3008_secret_in_arg_or_env.RULE,
    df3009_expose_protocol_casing.RULE,
    df4002_add_instead_of_copy.RULE,
    df4003_copy_relative_dest_without_workdir.RULE,
    df4004_copy_entire_stage_filesystem.RULE,
    df4005_copy_multiple_sources_to_file.RULE,
    df4006_copy_from_unknown_stage.RULE,
)
