// Engine::export_keys: what the opt-in key export reads out of two engines that negotiated with
// each other — each side's keys must match what the other derived independently.
#include "ike/key_export.hpp"

#include <gtest/gtest.h>

#include "unit/ike/engine_harness.hpp"

namespace cygnet::ike::test {
namespace {

EngineOptions retaining() {
  EngineOptions o;
  o.retain_keys_for_export = true;
  return o;
}

void establish(BackToBack& net, const std::string& ike, const std::string& esp, int version = 2) {
  ConnectionSettings a = psk_connection("site", "192.0.2.1", "192.0.2.2", "psk", ike);
  ConnectionSettings b = psk_connection("site", "192.0.2.2", "192.0.2.1", "psk", ike);
  a.ike_version = b.ike_version = version;
  a.children[0].proposals = {proposal(esp, ProtocolId::Esp)};
  b.children[0].proposals = {proposal(esp, ProtocolId::Esp)};
  ASSERT_TRUE(net.b.engine->add_connection(std::move(b), net.now));
  a.start_action = StartAction::Start;
  ASSERT_TRUE(net.a.engine->add_connection(std::move(a), net.now));
  net.run();
  ASSERT_EQ(net.a.established_children(), 1u);
}

Bytes bytes(const crypto::SecureBytes& s) {
  return Bytes(s.view().begin(), s.view().end());
}

TEST(KeyExport, BothSidesExportTheSameIkeAndEspKeys) {
  BackToBack net(retaining(), retaining());
  establish(net, "aes256gcm16-prfsha256-x25519", "aes256gcm16");
  const KeyExport a = net.a.engine->export_keys();
  const KeyExport b = net.b.engine->export_keys();
  ASSERT_EQ(a.ike_sas.size(), 1u);
  ASSERT_EQ(b.ike_sas.size(), 1u);
  EXPECT_TRUE(a.unavailable.empty());
  const IkeSaKeyExport& ia = a.ike_sas[0];
  const IkeSaKeyExport& ib = b.ike_sas[0];
  const IkeSaStatus status = net.a.engine->status(net.now)[0].ike_sas[0];
  EXPECT_EQ(ia.spi_i, status.initiator_spi);
  EXPECT_EQ(ia.spi_r, status.responder_spi);
  EXPECT_EQ(ia.spi_i, ib.spi_i);
  EXPECT_EQ(ia.spi_r, ib.spi_r);
  EXPECT_EQ(ia.sk_ei.size(), 36u);  // AES-256 key + 4-byte salt
  EXPECT_EQ(bytes(ia.sk_ei), bytes(ib.sk_ei));
  EXPECT_EQ(bytes(ia.sk_er), bytes(ib.sk_er));
  EXPECT_NE(bytes(ia.sk_ei), bytes(ia.sk_er));
  EXPECT_TRUE(ia.sk_ai.empty());  // AEAD: no integrity keys
  EXPECT_FALSE(ia.algorithms.integrity.has_value());

  ASSERT_EQ(a.child_sas.size(), 1u);
  ASSERT_EQ(b.child_sas.size(), 1u);
  const ChildSaKeyExport& ca = a.child_sas[0];
  const ChildSaKeyExport& cb = b.child_sas[0];
  EXPECT_EQ(ca.child, "net");
  // A's outbound SA is B's inbound SA: same SPI, addresses and keys.
  EXPECT_EQ(ca.outbound.spi, cb.inbound.spi);
  EXPECT_EQ(ca.inbound.spi, cb.outbound.spi);
  EXPECT_EQ(ca.outbound.source, addr("192.0.2.1"));
  EXPECT_EQ(ca.outbound.destination, addr("192.0.2.2"));
  EXPECT_EQ(ca.inbound.source, addr("192.0.2.2"));
  EXPECT_EQ(ca.inbound.destination, addr("192.0.2.1"));
  EXPECT_EQ(cb.inbound.source, addr("192.0.2.1"));
  EXPECT_EQ(ca.outbound.encryption_key.size(), 36u);
  EXPECT_EQ(bytes(ca.outbound.encryption_key), bytes(cb.inbound.encryption_key));
  EXPECT_EQ(bytes(ca.inbound.encryption_key), bytes(cb.outbound.encryption_key));
  EXPECT_NE(bytes(ca.inbound.encryption_key), bytes(ca.outbound.encryption_key));
}

TEST(KeyExport, CbcSuiteExportsIntegrityKeys) {
  BackToBack net(retaining(), retaining());
  establish(net, "aes128-sha256-x25519", "aes128-sha256");
  const KeyExport a = net.a.engine->export_keys();
  const KeyExport b = net.b.engine->export_keys();
  ASSERT_EQ(a.ike_sas.size(), 1u);
  ASSERT_EQ(b.ike_sas.size(), 1u);
  EXPECT_EQ(a.ike_sas[0].sk_ei.size(), 16u);
  EXPECT_EQ(a.ike_sas[0].sk_ai.size(), 32u);
  EXPECT_EQ(bytes(a.ike_sas[0].sk_ar), bytes(b.ike_sas[0].sk_ar));
  ASSERT_EQ(a.child_sas.size(), 1u);
  ASSERT_EQ(b.child_sas.size(), 1u);
  EXPECT_EQ(a.child_sas[0].outbound.integrity, crypto::IntegrityAlgorithm::HmacSha256_128);
  EXPECT_EQ(a.child_sas[0].outbound.integrity_key.size(), 32u);
  EXPECT_EQ(bytes(a.child_sas[0].outbound.integrity_key), bytes(b.child_sas[0].inbound.integrity_key));
}

TEST(KeyExport, Ikev1ExportsThePhase1KeyAndQuickModeSas) {
  BackToBack net(retaining(), retaining());
  establish(net, "aes256-sha256-modp2048", "aes256-sha256", 1);
  const KeyExport a = net.a.engine->export_keys();
  const KeyExport b = net.b.engine->export_keys();
  EXPECT_TRUE(a.ike_sas.empty());
  ASSERT_EQ(a.isakmp_sas.size(), 1u);
  ASSERT_EQ(b.isakmp_sas.size(), 1u);
  EXPECT_EQ(a.isakmp_sas[0].cookie_i, net.a.engine->status(net.now)[0].ike_sas.at(0).initiator_spi);
  EXPECT_EQ(a.isakmp_sas[0].cookie_i, b.isakmp_sas[0].cookie_i);
  EXPECT_EQ(a.isakmp_sas[0].encryption_key.size(), 32u);
  EXPECT_EQ(bytes(a.isakmp_sas[0].encryption_key), bytes(b.isakmp_sas[0].encryption_key));
  ASSERT_EQ(a.child_sas.size(), 1u);
  ASSERT_EQ(b.child_sas.size(), 1u);
  EXPECT_EQ(a.child_sas[0].outbound.spi, b.child_sas[0].inbound.spi);
  EXPECT_EQ(bytes(a.child_sas[0].outbound.encryption_key), bytes(b.child_sas[0].inbound.encryption_key));
  EXPECT_EQ(bytes(a.child_sas[0].outbound.integrity_key), bytes(b.child_sas[0].inbound.integrity_key));
}

TEST(KeyExport, NothingIsRetainedUnlessAskedFor) {
  BackToBack net;  // retain_keys_for_export = false
  establish(net, "aes256gcm16-prfsha256-x25519", "aes256gcm16");
  const KeyExport a = net.a.engine->export_keys();
  EXPECT_TRUE(a.ike_sas.empty());
  EXPECT_TRUE(a.child_sas.empty());
  ASSERT_EQ(a.unavailable.size(), 2u);  // the IKE SA and the CHILD SA, named
  EXPECT_NE(a.unavailable[0].find("IKE SA site"), std::string::npos);
  EXPECT_NE(a.unavailable[1].find("CHILD SA site/net"), std::string::npos);
}

TEST(KeyExport, RekeyedChildSaIsExportedWithItsNewKeys) {
  BackToBack net(retaining(), retaining());
  establish(net, "aes256gcm16-prfsha256-x25519", "aes256gcm16");
  const std::uint32_t first_spi = net.a.engine->export_keys().child_sas.at(0).outbound.spi;
  net.advance(Seconds(3600));  // past the rekey time (and the old SA's grace period)
  const KeyExport a = net.a.engine->export_keys();
  const KeyExport b = net.b.engine->export_keys();
  ASSERT_FALSE(a.child_sas.empty());
  const ChildSaKeyExport& newest = a.child_sas.back();
  EXPECT_NE(newest.outbound.spi, first_spi);
  bool matched = false;
  for (const ChildSaKeyExport& other : b.child_sas)
    if (other.inbound.spi == newest.outbound.spi)
      matched = bytes(other.inbound.encryption_key) == bytes(newest.outbound.encryption_key);
  EXPECT_TRUE(matched);
}

}  // namespace
}  // namespace cygnet::ike::test
