#!/usr/bin/env bash
# .github/scripts/commit-lockfiles.sh: the "Commit the lockfiles" step of
# .github/workflows/statesync.yml, which embeds this file verbatim (edit it here, then run
# `python3 .github/scripts/embed.py`).
#
# Commits the lockfile(s) that apply changed, and only those, as a bot, and pushes the commit
# to the branch. When the branch moved meanwhile (another shard pushed its own lockfiles),
# it rebases and tries again. Nothing changed: no commit. Runs after a failed apply too.
#
# Environment:
#   STATESYNC_DIR             project directory, relative to the repository root (".")
#   STATESYNC_LOCKFILES       lockfile globs relative to the project, separated by spaces or
#                             newlines (default "statesync.lock"); git pathspec globs: `*`
#                             stays within a directory, `**/` crosses them
#   STATESYNC_BRANCH          branch to push to (default $GITHUB_REF_NAME)
#   STATESYNC_APPLY_OUTCOME   outcome of the apply step, named in the commit message
#   STATESYNC_GIT_USER_NAME   commit author (default github-actions[bot])
#   STATESYNC_GIT_USER_EMAIL
#   STATESYNC_PUSH_TOKEN      token for fetch and push over https; given to git by a
#                             credential helper, never on a command line or in .git/config
#   STATESYNC_PUSH_ATTEMPTS   pushes tried before giving up (default 5)
#   STATESYNC_RETRY_DELAY     seconds before retry n is n times this (default 2)
#   STATESYNC_REMOTE          remote to push to (default origin)
# Outputs ($GITHUB_OUTPUT): committed (true|false), commit (the pushed sha, when committed).
set -euo pipefail

dir=${STATESYNC_DIR:-.}
dir=${dir#./}
dir=${dir%/}
dir=${dir:-.}
branch=${STATESYNC_BRANCH:-${GITHUB_REF_NAME:-}}
attempts=${STATESYNC_PUSH_ATTEMPTS:-5}
delay=${STATESYNC_RETRY_DELAY:-2}
remote=${STATESYNC_REMOTE:-origin}
output=${GITHUB_OUTPUT:-/dev/null}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"

if [ -z "$branch" ] || [ "${GITHUB_REF_TYPE:-branch}" != branch ]; then
  echo "::error title=statesync lockfile not committed::the run is not on a branch (ref ${GITHUB_REF:-unknown}), so the lockfile cannot be pushed back"
  exit 1
fi

cd "$(git rev-parse --show-toplevel)"

export GIT_AUTHOR_NAME=${STATESYNC_GIT_USER_NAME:-github-actions[bot]}
export GIT_AUTHOR_EMAIL=${STATESYNC_GIT_USER_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}
export GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME
export GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL

git_=(git -c commit.gpgsign=false -c core.hooksPath=/dev/null)
if [ -n "${STATESYNC_PUSH_TOKEN:-}" ]; then
  # Single quotes: the helper reads the variable when git runs it, so the token is never
  # part of a command line (visible in ps) or of a file. The empty value drops other helpers.
  # shellcheck disable=SC2016
  git_+=(-c credential.helper= -c 'credential.helper=!f() { test "$1" = get || exit 0; echo username=x-access-token; echo "password=$STATESYNC_PUSH_TOKEN"; }; f')
fi

pathspecs=()
read -r -d '' -a globs <<<"${STATESYNC_LOCKFILES:-statesync.lock}" || true
for glob in "${globs[@]}"; do
  if [ "$dir" = "." ]; then
    pathspecs+=(":(glob)$glob")
  else
    pathspecs+=(":(glob)$dir/$glob")
  fi
done

# Changed, new and deleted lockfiles; `git add` alone would fail on a glob matching nothing.
mapfile -t changed < <(git ls-files -z --modified --deleted --others --exclude-standard -- "${pathspecs[@]}" | tr '\0' '\n' | sort -u)
if [ "${#changed[@]}" -eq 0 ]; then
  echo "Lockfiles unchanged (${globs[*]}): nothing to commit."
  echo "committed=false" >>"$output"
  echo "Lockfiles unchanged: nothing committed." >>"$summary"
  exit 0
fi
git add -A -- "${changed[@]}"

subject="statesync: record applied posts in ${changed[*]}"
if [ "${#subject}" -gt 72 ]; then subject="statesync: record applied posts in ${#changed[@]} lockfiles"; fi
body="Applied by $run_url"
if [ -n "${GITHUB_SHA:-}" ]; then body+=$'\n'"Triggered by commit $GITHUB_SHA"; fi
if [ "${STATESYNC_APPLY_OUTCOME:-success}" = failure ]; then
  body+=$'\n\n'"The apply failed part way: these entries record the actions that succeeded."
fi
"${git_[@]}" commit --quiet -m "$subject" -m "$body"

attempt=1
until "${git_[@]}" push --quiet "$remote" "HEAD:refs/heads/$branch"; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "::error title=statesync lockfile not pushed::gave up after $attempts attempts to push to $branch"
    exit 1
  fi
  echo "The branch $branch moved; rebasing the lockfile commit onto it (attempt $attempt of $attempts)."
  sleep $((attempt * delay))
  if ! "${git_[@]}" pull --quiet --rebase --autostash "$remote" "$branch"; then
    conflicts=$(git diff --name-only --diff-filter=U | tr '\n' ' ')
    git rebase --abort || true
    if [ -n "$conflicts" ]; then
      echo "::error title=statesync lockfile not pushed::rebasing onto $branch conflicted in: $conflicts. Shards that apply in parallel need separate lockfiles (one per manifest)."
    else
      echo "::error title=statesync lockfile not pushed::git pull --rebase from $branch failed; see the messages above."
    fi
    exit 1
  fi
  attempt=$((attempt + 1))
done

sha=$(git rev-parse HEAD)
echo "Pushed $sha to $branch: ${changed[*]}"
{
  echo "committed=true"
  echo "commit=$sha"
} >>"$output"
echo "Lockfile commit \`$sha\` pushed to \`$branch\`: ${changed[*]}" >>"$summary"
