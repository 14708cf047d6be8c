#!/usr/bin/env bash
# .github/scripts/apply.sh: the "Apply" step of .github/workflows/statesync.yml, which embeds
# this file verbatim (edit it here, then run `python3 .github/scripts/embed.py`).
#
# Runs `statesync apply --auto-approve`, shows its output in the log and the job summary, and
# exits with its status. The lockfile is committed by the next step, which runs even when
# this one fails, so that the entries of the actions that succeeded are kept.
#
# Environment, set by the workflow from its inputs (none of them is a secret):
#   STATESYNC_DIR            project directory, relative to the repository root (".")
#   STATESYNC_ONLY           optional glob passed as `--only` (one shard of a project)
#   STATESYNC_SUMMARY_LIMIT  bytes of output copied to the job summary (GitHub allows 1 MiB)
# and the secrets statesync reads (FACEBOOK_ACCESS_TOKEN, ...): empty ones are unset, as an
# optional secret the caller did not pass arrives as an empty string.
#
# Outputs ($GITHUB_OUTPUT): outcome (succeeded|failed).
set -euo pipefail

for name in FACEBOOK_ACCESS_TOKEN FACEBOOK_APP_SECRET ONEALL_PUBLIC_KEY ONEALL_PRIVATE_KEY ONEALL_IDENTITY_TOKEN \
  ONEALL_TWITTER_IDENTITY_TOKEN ONEALL_LINKEDIN_IDENTITY_TOKEN ONEALL_PINTEREST_IDENTITY_TOKEN; do
  if [ -z "${!name:-}" ]; then unset "$name"; fi
done

dir=${STATESYNC_DIR:-.}
dir=${dir#./}
dir=${dir%/}
dir=${dir:-.}
only=${STATESYNC_ONLY:-}
summary_limit=${STATESYNC_SUMMARY_LIMIT:-1000000}
output=${GITHUB_OUTPUT:-/dev/null}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
log=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/statesync-apply.XXXXXX")

args=(apply "$dir" --auto-approve)
if [ -n "$only" ]; then args+=(--only "$only"); fi
echo "+ statesync ${args[*]}"

# The output names posts and may quote manifest content: no line of it may act as a
# workflow command (`::...`), so the runner is told to ignore them until a random token.
token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
echo "::stop-commands::$token"
rc=0
# Only stdout, the payload, goes to the summary too; stderr (the log) stays in the job log.
statesync "${args[@]}" | tee "$log" || rc=$?
echo "::$token::"

# A fence longer than any run of backticks in the output, so the output cannot close it.
fence=$(LC_ALL=C awk '{ while (match($0, /`+/)) { if (RLENGTH > n) n = RLENGTH; $0 = substr($0, RSTART + RLENGTH) } } END { n = (n < 3 ? 3 : n + 1); s = ""; for (i = 0; i < n; i++) s = s "`"; print s }' "$log")
{
  if [ "$rc" -eq 0 ]; then
    echo "#### statesync apply${only:+ · shard \`${only//\`/}\`}: succeeded"
  else
    echo "#### statesync apply${only:+ · shard \`${only//\`/}\`}: failed (exit status $rc)"
    echo
    echo "The lockfile keeps every action that succeeded; the next step commits it."
  fi
  echo
  echo "$fence"
  head -c "$summary_limit" "$log"
  echo
  echo "$fence"
} >>"$summary"

if [ "$rc" -eq 0 ]; then
  echo "outcome=succeeded" >>"$output"
else
  echo "outcome=failed" >>"$output"
  echo "::error title=statesync apply failed::statesync apply exited with status $rc; the lockfile entries of the actions that succeeded are committed next."
fi
exit "$rc"
