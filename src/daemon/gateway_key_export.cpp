// `export-keys`: the current SAs' keys as Wireshark key tables, for root and only when the
// configuration allows it. The daemon returns the files' text to cygnetctl instead of writing a
// path named in the request: a root daemon that writes wherever a request says is a file-overwrite
// primitive (symlinks, /etc), while cygnetctl writes with the requester's own rights.
#include <sys/socket.h>

#include <string>

#include "control/control_protocol.hpp"
#include "crypto/secure_bytes.hpp"
#include "daemon/gateway.hpp"
#include "daemon/logging.hpp"
#include "ike/key_export.hpp"
#include "ike/wireshark_key_files.hpp"

namespace cygnet::daemon {

using nlohmann::json;

json Gateway::export_keys(const json& /*request: format checked by validate_request*/, int client) {
  ucred peer{};
  socklen_t length = sizeof peer;
  if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
    log(Subsystem::Control).warn("key export refused: the requester's credentials are unknown");
    return control::error_response("key export refused: cannot tell who is asking (SO_PEERCRED failed)");
  }
  if (!config_.daemon.allow_key_export) {
    log(Subsystem::Control)
        .warn("key export by pid {} uid {} refused: [daemon] allow_key_export is false", peer.pid, peer.uid);
    return control::error_response(
        "key export is disabled: set [daemon] allow_key_export = true and restart cygnetd");
  }
  if (peer.uid != 0) {
    log(Subsystem::Control).warn("key export by pid {} uid {} refused: not root", peer.pid, peer.uid);
    return control::error_response("key export refused: only root (uid 0) may export keys");
  }
  const ike::WiresharkKeyFiles files = ike::wireshark_key_files(engine().export_keys());
  log(Subsystem::Control)
      .warn(
          "exporting SA keys to pid {} uid {}: {} IKEv2 SAs, {} IKEv1 SAs, {} ESP SA directions ({} skipped) "
          "— "
          "anyone with these files can decrypt the traffic",
          peer.pid, peer.uid, files.ike_sa_lines, files.isakmp_sa_lines, files.esp_sa_lines,
          files.skipped.size());
  return control::ok_response({{"format", "wireshark"},
                               {"files",
                                {{"esp_sa", files.esp_sa},
                                 {"ikev2_decryption_table", files.ikev2_decryption_table},
                                 {"ikev1_decryption_table", files.ikev1_decryption_table}}},
                               {"ike_sas", files.ike_sa_lines},
                               {"isakmp_sas", files.isakmp_sa_lines},
                               {"esp_sas", files.esp_sa_lines},
                               {"skipped", files.skipped}});
}

}  // namespace cygnet::daemon
