# Sourced by the scripts that install what a fresh Debian machine lacks.
# apt_install <package>...: Debian's packages, with sudo unless root; the services they bring are not started by it.
apt_install() {
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
