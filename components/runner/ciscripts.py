"""The CI/CD component's shell, pure text: the functions every job defines first, then what the
build and manifest jobs run. POSIX sh (bash, dash and busybox ash alike), safe under the runner's
`set -eo pipefail`: every check that may fail is an `if`. A long message is wrapped with a
backslash-newline inside its double quotes (the shell joins the lines).

The jobs see their inputs as job variables. A list input inside a string arrives as
`<["a", "b"]>` from GitLab (Ruby's `Array#to_s`: lib/gitlab/ci/config/interpolation/template.rb)
and as `<["a","b"]>` from gitlab-ci-local (JSON); `multiarch_list` reads both, one element a line,
and every element is then checked whole (a stray quote or comma makes it invalid, never two values).

No secret is ever an argument or printed: credentials, build args and build secrets are named by
their CI/CD variables and read from the environment (`eval` only ever sees a checked name).
"""

from __future__ import annotations

from .. import buildscript

ARCHES_DIR = "multiarch-built"  # <dir>/<name>/<arch>: the image each build pushed, handed to the manifest job
CACHE_PUSH_FAILED = "failed pushing cache"  # buildah's words when --cache-to fails (buildah 1.28 to 1.39)

BUILD_FIX = (
    "its KUBERNETES_NODE_SELECTOR_ARCH must reach the runner (tags of the multi-arch runner, whose "
    "node_selector_overwrite_allowed accepts kubernetes.io/arch)"
)

# Tags: the OCI distribution grammar. An arch's own tag is <tag>-<arch> (at most 6 more characters).
TAG_ERE = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
ARCH_TAG_ERE = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,121}$"
# A repository with its registry host: host[:port]/path, the path in the reference grammar's lowercase.
IMAGE_ERE = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]+((\.|__?|-+)[a-z0-9]+)*)+$"
NAME_ERE = "^[A-Za-z_][A-Za-z0-9_]*$"
DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")  # two path segments at most

FUNCTIONS = r"""multiarch_fail() { echo "multiarch: $*" >&2; exit 1; }
multiarch_list() {
  printf '%s\n' "$1" | sed -e 's/^<\[//' -e 's/\]>$//' | tr ',' '\n' \
    | sed -e 's/^ *//' -e 's/^"//' -e 's/"$//' -e '/^$/d'
}
multiarch_matches() { printf '%s\n' "$1" | grep -Eq "$2"; }
multiarch_name_ok() {
  if ! multiarch_matches "$1" '@NAME@'; then
    multiarch_fail "$2 is \"$1\": expected the NAME of a CI/CD variable ([A-Za-z_][A-Za-z0-9_]*)"
  fi
}
multiarch_tag_ok() {
  if ! multiarch_matches "$1" '@TAG@'; then
    multiarch_fail "$2 is \"$1\": not an image tag \
(expected [A-Za-z0-9_] then [A-Za-z0-9_.-], at most 128 characters)"
  fi
}
multiarch_is_set() { eval "[ -n \"\${$1+set}\" ]"; }""".replace("@NAME@", NAME_ERE).replace("@TAG@", TAG_ERE)

# Which pipeline this is, and whether it pushes: the order of ciinputs.PUSH_SOURCES.
SOURCE = r"""case "${CI_PIPELINE_SOURCE:-}" in
  merge_request_event) multiarch_from=merge-requests ;;
  schedule) multiarch_from=schedules ;;
  *) if [ -n "${CI_COMMIT_TAG:-}" ]; then multiarch_from=tags
     elif [ -n "${CI_COMMIT_BRANCH:-}" ] && [ "${CI_COMMIT_BRANCH}" = "${CI_DEFAULT_BRANCH:-}" ]; then
       multiarch_from=default-branch
     else multiarch_from=branches; fi ;;
esac
case " ${MULTIARCH_PUSH_ON} " in
  *" push=false "*) multiarch_push=no; multiarch_why="the push input is false" ;;
  *" ${multiarch_from}=true "*) multiarch_push=yes; multiarch_why="" ;;
  *) multiarch_push=no
     multiarch_why="pushing is off in ${multiarch_from} pipelines (input push-${multiarch_from})" ;;
esac"""

# Every job's check, before anything else: the inputs as expanded, one line naming the input.
CHECK = (
    (
        r"""multiarch_arches=""
while IFS= read -r multiarch_a; do
  if [ -z "${multiarch_a}" ]; then continue; fi
  case " ${MULTIARCH_ALLOWED_ARCHES} " in
    *" ${multiarch_a} "*) multiarch_arches="${multiarch_arches}${multiarch_arches:+ }${multiarch_a}" ;;
    *) multiarch_fail "the arches input has \"${multiarch_a}\": \
expected some of: ${MULTIARCH_ALLOWED_ARCHES} (the stack's build pools)" ;;
  esac
done <<EOF
$(multiarch_list "${MULTIARCH_ARCHES}")
EOF
if [ -z "${multiarch_arches}" ]; then
  multiarch_fail "the arches input is empty: expected some of: ${MULTIARCH_ALLOWED_ARCHES} (the stack's build pools)"
fi
multiarch_image="$(printf '%s' "${MULTIARCH_IMAGE}" | tr '[:upper:]' '[:lower:]')"
case "${multiarch_image%%/*}" in *.*|*:*|localhost) multiarch_host=yes ;; *) multiarch_host=no ;; esac
if [ "${multiarch_host}" = no ] || ! multiarch_matches "${multiarch_image}" '@IMAGE@'; then
  multiarch_fail "the image input is \"${MULTIARCH_IMAGE}\" (expanded): expected a repository with its registry \
host and no tag, such as registry.example.com/team/api or docker.io/team/api"
fi
if ! multiarch_matches "${MULTIARCH_TAG}" '@ARCH_TAG@'; then
  multiarch_fail "the image-tag input is \"${MULTIARCH_TAG}\" (expanded): not an image tag \
(expected [A-Za-z0-9_] then [A-Za-z0-9_.-], at most 122 characters: each arch adds -<arch>)"
fi
"""
        + SOURCE
        + r"""
multiarch_tags="${MULTIARCH_TAG}"
multiarch_add_tag() {
  if [ -z "$1" ]; then return 0; fi
  multiarch_tag_ok "$1" "$2"
  case " ${multiarch_tags} " in *" $1 "*) ;; *) multiarch_tags="${multiarch_tags} $1" ;; esac
}
if [ "${multiarch_from}" = tags ]; then multiarch_add_tag "${CI_COMMIT_TAG}" "the git tag"; fi
while IFS= read -r multiarch_t; do
  multiarch_add_tag "${multiarch_t}" 'an element of the extra-tags input'
done <<EOF
$(multiarch_list "${MULTIARCH_EXTRA_TAGS}")
EOF
while IFS= read -r multiarch_t; do
  if [ -z "${multiarch_t}" ]; then continue; fi
  multiarch_tag_ok "${multiarch_t}" 'an element of the default-branch-tags input'
  if [ "${multiarch_from}" = default-branch ]; then multiarch_add_tag "${multiarch_t}" default-branch-tags; fi
done <<EOF
$(multiarch_list "${MULTIARCH_DEFAULT_BRANCH_TAGS}")
EOF
for multiarch_v in registry-user-variable:MULTIARCH_REGISTRY_USER_VARIABLE \
    registry-password-variable:MULTIARCH_REGISTRY_PASSWORD_VARIABLE \
    registry-password-command-variable:MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE; do
  eval "multiarch_n=\${${multiarch_v#*:}:-}"
  if [ -n "${multiarch_n}" ]; then multiarch_name_ok "${multiarch_n}" "the ${multiarch_v%%:*} input"; fi
done"""
    )
    .replace("@IMAGE@", IMAGE_ERE)
    .replace("@ARCH_TAG@", ARCH_TAG_ERE)
)

# The build job's own check: what it builds from, and the variables it passes in by name.
CHECK_BUILD = r"""if [ ! -f "${MULTIARCH_DOCKERFILE}" ]; then
  multiarch_fail "the dockerfile input is \"${MULTIARCH_DOCKERFILE}\": no such file (relative to the project's root)"
fi
if [ ! -d "${MULTIARCH_CONTEXT}" ]; then
  multiarch_fail "the context input is \"${MULTIARCH_CONTEXT}\": no such directory (relative to the project's root)"
fi
for multiarch_kind in build-args:MULTIARCH_BUILD_ARGS build-secrets:MULTIARCH_BUILD_SECRETS; do
  eval "multiarch_names=\${${multiarch_kind#*:}}"
  while IFS= read -r multiarch_n; do
    if [ -z "${multiarch_n}" ]; then continue; fi
    multiarch_name_ok "${multiarch_n}" "an element of the ${multiarch_kind%%:*} input"
    if ! multiarch_is_set "${multiarch_n}"; then
      multiarch_fail "the ${multiarch_kind%%:*} input names ${multiarch_n}, a variable this job does not have"
    fi
  done <<EOF
$(multiarch_list "${multiarch_names}")
EOF
done"""

# The registry login: the user, and the password or the command that prints it, read from the
# CI/CD variables the inputs name; the job token only ever goes to this project's GitLab registry.
LOGIN = r"""multiarch_login() {
  multiarch_registry="${MULTIARCH_REGISTRY:-${multiarch_image%%/*}}"
  multiarch_registry="$(printf '%s' "${multiarch_registry}" | tr '[:upper:]' '[:lower:]')"
  if [ -z "${MULTIARCH_REGISTRY_USER_VARIABLE}" ]; then
    echo "multiarch: no registry login (the registry-user-variable input is empty)"
    return 0
  fi
  multiarch_secret_from="${MULTIARCH_REGISTRY_PASSWORD_VARIABLE}"
  if [ -n "${MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE}" ]; then multiarch_secret_from=""; fi
  case " ${MULTIARCH_REGISTRY_USER_VARIABLE} ${multiarch_secret_from} " in
    *" CI_REGISTRY_USER "*|*" CI_REGISTRY_PASSWORD "*|*" CI_JOB_TOKEN "*) multiarch_token=yes ;;
    *) multiarch_token=no ;;
  esac
  if [ "${multiarch_token}" = yes ] && [ "${multiarch_registry}" != "${CI_REGISTRY:-}" ]; then
    multiarch_fail "${multiarch_registry} is not this project's GitLab registry (${CI_REGISTRY:-none}), \
where the job token logs in: name the CI/CD variables that hold its credentials \
(inputs registry-user-variable and registry-password-variable, or registry-password-command-variable)"
  fi
  eval "multiarch_user=\${${MULTIARCH_REGISTRY_USER_VARIABLE}:-}"
  if [ -z "${multiarch_user}" ]; then
    multiarch_fail "the variable ${MULTIARCH_REGISTRY_USER_VARIABLE} (input registry-user-variable) is not set"
  fi
  if [ -n "${MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE}" ]; then
    eval "multiarch_command=\${${MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE}:-}"
    if [ -z "${multiarch_command}" ]; then
      multiarch_fail "the variable ${MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE} \
(input registry-password-command-variable) is not set"
    fi
    if ! multiarch_password="$(sh -c "${multiarch_command}")"; then
      multiarch_fail "the command in ${MULTIARCH_REGISTRY_PASSWORD_COMMAND_VARIABLE} \
(input registry-password-command-variable) failed"
    fi
  elif [ -n "${MULTIARCH_REGISTRY_PASSWORD_VARIABLE}" ]; then
    eval "multiarch_password=\${${MULTIARCH_REGISTRY_PASSWORD_VARIABLE}:-}"
  else
    multiarch_fail "the registry-password-variable and registry-password-command-variable inputs are both \
empty: name the variable that holds the password of ${multiarch_registry}"
  fi
  if [ -z "${multiarch_password}" ]; then
    multiarch_fail "no password for ${multiarch_registry}: the variable that the registry-password-variable \
or registry-password-command-variable input names is not set, or printed nothing"
  fi
  printf '%s' "${multiarch_password}" \
    | buildah login --username "${multiarch_user}" --password-stdin "${multiarch_registry}"
  unset multiarch_password multiarch_command
}"""

BUILD_ARGUMENTS = r"""ref="${multiarch_image}:${MULTIARCH_TAG}-${ARCH}"
set -- --platform "linux/${ARCH}" --layers --file "${MULTIARCH_DOCKERFILE}" --tag "${ref}"
if [ -n "${MULTIARCH_TARGET}" ]; then set -- "$@" --target "${MULTIARCH_TARGET}"; fi
for multiarch_n in $(multiarch_list "${MULTIARCH_BUILD_ARGS}"); do
  set -- "$@" --build-arg "${multiarch_n}"
done
for multiarch_n in $(multiarch_list "${MULTIARCH_BUILD_SECRETS}"); do
  set -- "$@" --secret "id=${multiarch_n},env=${multiarch_n}"
done
if [ "${MULTIARCH_LABELS}" = labels-true ]; then
  multiarch_version="${MULTIARCH_TAG}"
  if [ "${multiarch_from}" = tags ]; then multiarch_version="${CI_COMMIT_TAG}"; fi
  set -- "$@" --label "org.opencontainers.image.revision=${CI_COMMIT_SHA:-}" \
    --label "org.opencontainers.image.version=${multiarch_version}" \
    --label "org.opencontainers.image.source=${CI_PROJECT_URL:-}"
fi"""

CACHE = r"""multiarch_cache=""
if [ "${MULTIARCH_CACHE}" = cache-true ]; then
  multiarch_cache="$(printf '%s' "${MULTIARCH_CACHE_REPOSITORY}" | tr '[:upper:]' '[:lower:]')"
  if [ -z "${multiarch_cache}" ]; then
    case "${multiarch_image%%/*}" in
      @DOCKER_HUB@) multiarch_cache="${multiarch_image}-cache" ;;
      *) multiarch_cache="${multiarch_image}/cache" ;;
    esac
  fi
  multiarch_cache="${multiarch_cache}-${ARCH}"
fi""".replace("@DOCKER_HUB@", "|".join(DOCKER_HUB))

# The build, with the layer cache when asked: read always, written only when this pipeline pushes.
# A cache push that fails is a warning: the build runs again without writing the cache (its layers
# are local by then), since the cache only saves time.
BUILD = r"""if [ -z "${multiarch_cache}" ]; then
  buildah build "$@" "${MULTIARCH_CONTEXT}"
elif [ "${multiarch_push}" != yes ]; then
  buildah build --cache-from "${multiarch_cache}" "$@" "${MULTIARCH_CONTEXT}"
else
  multiarch_log="$(mktemp)"
  { buildah build --cache-from "${multiarch_cache}" --cache-to "${multiarch_cache}" "$@" "${MULTIARCH_CONTEXT}" 2>&1 \
    || echo "$?" > "${multiarch_log}.failed"; } | tee "${multiarch_log}"
  if [ -f "${multiarch_log}.failed" ]; then
    if grep -q "@FAILED@" "${multiarch_log}"; then
      echo "multiarch: warning: pushing the layer cache to ${multiarch_cache} failed; \
building ${ref} again without writing the cache (the cache only saves time)" >&2
      buildah build "$@" "${MULTIARCH_CONTEXT}"
    else
      exit "$(cat "${multiarch_log}.failed")"
    fi
  fi
fi""".replace("@FAILED@", CACHE_PUSH_FAILED)

PUSH = r"""if [ "${multiarch_push}" = yes ]; then
  mkdir -p "@DIR@/${MULTIARCH_NAME}"
  buildah push --digestfile "@DIR@/${MULTIARCH_NAME}/${ARCH}.digest" "${ref}"
  printf '%s@%s %s\n' "${multiarch_image}" "$(cat "@DIR@/${MULTIARCH_NAME}/${ARCH}.digest")" "${CI_COMMIT_SHA:-}" \
    > "@DIR@/${MULTIARCH_NAME}/${ARCH}"
  echo "multiarch: pushed ${ref}"
else
  echo "multiarch: built ${ref}; pushed nothing: ${multiarch_why}"
fi""".replace("@DIR@", ARCHES_DIR)


def build_script() -> list[str]:
    """The build job's script: on a node of its arch, built with its inputs, checked, then pushed
    (with its layer cache) when this pipeline pushes."""
    return [
        buildscript.native_check("build job", BUILD_FIX),
        BUILD_ARGUMENTS,
        CACHE,
        BUILD,
        buildscript.image_check(),
        PUSH,
    ]


# The manifest job: every arch the arches input names must have pushed its image in this pipeline,
# checked before anything else (no login, no registry).
SLOTS = r"""if [ "${multiarch_push}" != yes ]; then echo "multiarch: nothing to publish: ${multiarch_why}"; exit 0; fi
for slot in ${multiarch_arches}; do
  built="@DIR@/${MULTIARCH_NAME}/${slot}"
  if [ ! -s "${built}" ]; then
    multiarch_fail "no ${slot} image: ${MULTIARCH_NAME}-build-${slot} pushed none in this pipeline \
(it failed, was allowed to fail, or a rule left it out), and the arches input needs every one of: \
${multiarch_arches}; nothing is published"
  fi
  read -r ref commit < "${built}"
  case "${ref}" in
    "${multiarch_image}@"*) ;;
    *) multiarch_fail "the ${slot} build pushed ${ref}, not an image of ${multiarch_image}: nothing is published" ;;
  esac
  if [ "${commit}" != "${CI_COMMIT_SHA:-}" ]; then
    multiarch_fail "the ${slot} image ${ref} was built from commit ${commit}, not ${CI_COMMIT_SHA:-}: \
nothing is published"
  fi
done""".replace("@DIR@", ARCHES_DIR)


def manifest_script() -> list[str]:
    """The manifest job's script: the arches input's every slot, each an image this pipeline pushed
    and checked against its slot, then the index pushed under every tag. Its list's name is the
    job's own, so a node's persistent storage never holds it already."""
    add = "\n".join(f"  {line}" for line in buildscript.slot_check('"${list}"').splitlines())
    return [
        SLOTS,
        "multiarch_login",
        'list="multiarch-${MULTIARCH_NAME}-${CI_JOB_ID:-0}-$$"\nbuildah manifest create "${list}"',
        "for slot in ${multiarch_arches}; do\n"
        f'  read -r ref commit < "{ARCHES_DIR}/${{MULTIARCH_NAME}}/${{slot}}"\n'
        '  buildah manifest add "${list}" "docker://${ref}"\n' + add + "\ndone",
        "for tag in ${multiarch_tags}; do\n"
        '  buildah manifest push --all "${list}" "docker://${multiarch_image}:${tag}"\n'
        '  echo "multiarch: published ${multiarch_image}:${tag} (${multiarch_arches})"\n'
        "done\n"
        'buildah manifest rm "${list}" > /dev/null',
    ]
