# Sourced by the registry benchmarks: one blob upload the way the OCI Distribution API allows
# it in two requests (POST for a session, then one PUT with the whole body and its digest).
#
#   curl_put PORT REPO FILE HEXDIGEST      # registry on 127.0.0.1:PORT
curl_put() {
  local loc sep
  loc=$(curl -fsS -X POST -D - -o /dev/null "http://127.0.0.1:$1/v2/$2/blobs/uploads/" \
    | awk 'tolower($1) == "location:" {print $2}' | tr -d '\r')
  case $loc in http*) ;; *) loc="http://127.0.0.1:$1$loc" ;; esac
  sep='?'; [[ $loc == *\?* ]] && sep='&'
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' -T "$3" -o /dev/null "$loc${sep}digest=sha256:$4"
}
