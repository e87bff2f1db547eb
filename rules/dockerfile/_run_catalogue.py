"""RUN, package-manager and security rules of the catalogue (issue 5): an explicit tuple, merged into BUILTIN_RULES."""

from __future__ import annotations

from . import (
    df2004_pipe_without_pipefail,
    df2005_consecutive_run_instructions,
    df2006_cd_in_run,
    df2007_wget_without_progress_option,
    df2008_unpinned_rpm_package_version,
    df2009_rpm_cache_not_cleaned,
    df2010_apt_in_run,
    df2011_unpinned_go_install,
    df2012_sudo_in_run,
    df2013_package_install_without_assume_yes,
    df2014_useradd_high_uid_without_no_log_init,
    df2015_curl_and_wget,
    df2016_interactive_command_in_run,
    df2017_bin_sh_replaced_with_ln,
    df2018_dist_upgrade_in_run,
    df2019_package_index_update_alone,
    df2020_tls_verification_disabled,
    df2021_package_signature_check_disabled,
    df2022_download_piped_to_shell,
    df2023_shellcheck_finding,
)

RUN_RULES: tuple = (
    df2004_pipe_without_pipefail.RULE,
    df2005_consecutive_run_instructions.RULE,
    df2006_cd_in_run.RULE,
    df2007_wget_without_progress_option.RULE,
    df2008_unpinned_rpm_package_version.RULE,
    df2009_rpm_cache_not_cleaned.RULE,
    df2010_apt_in_run.RULE,
    df2011_unpinned_go_install.RULE,
    df2012_sudo_in_run.RULE,
    df2013_package_install_without_assume_yes.RULE,
    df2014_useradd_high_uid_without_no_log_init.RULE,
    df2015_curl_and_wget.RULE,
    df2016_interactive_command_in_run.RULE,
    df2017_bin_sh_replaced_with_ln.RULE,
    df2018_dist_upgrade_in_run.RULE,
    df2019_package_index_update_alone.RULE,
    df2020_tls_verification_disabled.RULE,
    df2021_package_signature_check_disabled.RULE,
    df2022_download_piped_to_shell.RULE,
    df2023_shellcheck_finding.RULE,
)
