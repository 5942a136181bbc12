// The retained keys of the current IKEv2 SAs, for the operator's opt-in export (Engine::export_keys).
#include <string>

#include "ike/key_export.hpp"
#include "ike/v2/ikev2_engine.hpp"

namespace cygnet::ike {
namespace {

SaKeyExport sa_key_export(const ipsec::SaParameters& p) {
  SaKeyExport out;
  out.protocol = p.protocol;
  out.spi = p.spi;
  const bool inbound = p.direction == ipsec::Direction::Inbound;
  out.source = inbound ? p.remote_address : p.local_address;
  out.destination = inbound ? p.local_address : p.remote_address;
  out.udp_encapsulated = p.udp_encapsulation.has_value();
  out.encryption = p.encryption;
  out.encryption_key = p.encryption_key;
  out.integrity = p.integrity;
  out.integrity_key = p.integrity_key;
  return out;
}

}  // namespace

void append_child_key_export(const ChildSa& c, KeyExport& out) {
  if (!c.retained_for_export) {
    out.unavailable.push_back("CHILD SA " + c.connection + "/" + c.child + " #" + std::to_string(c.id) +
                              ": keys not retained");
    return;
  }
  out.child_sas.push_back(ChildSaKeyExport{c.id, c.connection, c.child,
                                           sa_key_export(c.retained_for_export->inbound),
                                           sa_key_export(c.retained_for_export->outbound)});
}

void v2::Ikev2Engine::export_keys(KeyExport& out) const {
  for (const auto& [id, sa] : ike_sas) {
    if (!sa->keys || !sa->algorithms || sa->keys->sk_ei.empty()) {
      if (sa->keys)
        out.unavailable.push_back("IKE SA " + sa->connection + " #" + std::to_string(id) +
                                  ": keys not retained");
      continue;  // still in IKE_SA_INIT: no keys yet
    }
    const IkeSaKeys& k = *sa->keys;
    out.ike_sas.push_back(IkeSaKeyExport{id, sa->connection, sa->spi_i, sa->spi_r, *sa->algorithms, k.sk_ei,
                                         k.sk_er, k.sk_ai, k.sk_ar, k.sk_pi, k.sk_pr});
  }
  for (const auto& [id, child] : children) append_child_key_export(child, out);
}

}  // namespace cygnet::ike
