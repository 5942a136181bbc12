#include "crypto/distinguished_name.hpp"
#include "crypto/openssl_deleter.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <memory>
#include <vector>

namespace cygnet::crypto {
namespace {

template <auto Free>
using Deleter = detail::OpenSslDeleter<Free>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<&X509_NAME_free>>;
using ObjectPtr = std::unique_ptr<ASN1_OBJECT, Deleter<&ASN1_OBJECT_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free_all>>;

struct AttributeValue {
  std::string type;
  std::string value;
};
using Rdn = std::vector<AttributeValue>;

// Splits DN text into RDNs and attribute values, undoing RFC 4514 escapes and quotes. Bounded by
// the text: every step advances pos_ or fails.
class DnTextParser {
 public:
  DnTextParser(std::string_view text, bool slash_form)
      : text_(text), slash_(slash_form), pos_(slash_form ? 1 : 0) {}

  std::optional<std::vector<Rdn>> parse() {
    std::vector<Rdn> rdns;
    Rdn rdn;
    for (;;) {
      skip_spaces();
      const std::size_t equals = text_.find('=', pos_);
      if (equals == std::string_view::npos) return std::nullopt;
      std::string type(trim_right(text_.substr(pos_, equals - pos_)));
      if (type.empty() || type.find_first_of(slash_ ? "/+" : ",;+") != std::string::npos)
        return std::nullopt;
      pos_ = equals + 1;
      skip_spaces();
      std::optional<std::string> value = read_value();
      if (!value || value->empty()) return std::nullopt;
      rdn.push_back(AttributeValue{std::move(type), std::move(*value)});
      if (pos_ >= text_.size()) break;
      const char separator = text_[pos_++];
      if (separator != '+') {
        rdns.push_back(std::move(rdn));
        rdn.clear();
      }
      if (pos_ >= text_.size()) return std::nullopt;  // a dangling separator
    }
    rdns.push_back(std::move(rdn));
    return rdns;
  }

 private:
  bool is_separator(char c) const { return slash_ ? (c == '/' || c == '+') : (c == ',' || c == ';' || c == '+'); }

  void skip_spaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  static std::string_view trim_right(std::string_view s) {
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // After a '\': a pair of hex digits (one UTF-8 byte) or the escaped character itself.
  bool read_escape(std::string& out) {
    if (pos_ >= text_.size()) return false;
    if (pos_ + 1 < text_.size()) {
      const int high = hex_value(text_[pos_]);
      const int low = hex_value(text_[pos_ + 1]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>((high << 4) | low));
        pos_ += 2;
        return true;
      }
    }
    out.push_back(text_[pos_++]);
    return true;
  }

  // "#" and an even number of hex digits up to the end of the value. A '#' followed by anything
  // else is read literally: OpenSSL does not escape a leading '#' when printing.
  bool looks_like_hexstring() const {
    if (pos_ >= text_.size() || text_[pos_] != '#') return false;
    std::size_t end = pos_ + 1;
    while (end < text_.size() && hex_value(text_[end]) >= 0) ++end;
    const std::size_t digits = end - pos_ - 1;
    std::size_t after = end;
    while (after < text_.size() && text_[after] == ' ') ++after;
    return digits > 0 && digits % 2 == 0 && (after == text_.size() || is_separator(text_[after]));
  }

  std::optional<std::string> read_value() {
    std::string out;
    if (looks_like_hexstring()) return std::nullopt;  // RFC 4514 "#" BER values: not supported
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      for (;;) {
        if (pos_ >= text_.size()) return std::nullopt;  // unterminated quote
        const char c = text_[pos_++];
        if (c == '"') break;
        if (c == '\\') {
          if (!read_escape(out)) return std::nullopt;
        } else {
          out.push_back(c);
        }
      }
      skip_spaces();
      if (pos_ < text_.size() && !is_separator(text_[pos_])) return std::nullopt;
      return out;
    }
    std::size_t significant = 0;  // length up to the last escaped or non-space character
    while (pos_ < text_.size() && !is_separator(text_[pos_])) {
      const char c = text_[pos_++];
      if (c == '\\') {
        if (!read_escape(out)) return std::nullopt;
        significant = out.size();
      } else {
        out.push_back(c);
        if (c != ' ' && c != '\t') significant = out.size();
      }
    }
    out.resize(significant);  // spaces before a separator are layout, unless escaped
    return out;
  }

  std::string_view text_;
  bool slash_;
  std::size_t pos_;
};

// Attribute names as people write them (any case, strongSwan's aliases) → OpenSSL short names.
// Anything else goes to OBJ_txt2obj: OpenSSL's own long/short names and dotted OIDs.
const char* canonical_attribute(std::string_view type) {
  struct Alias {
    const char* lower;
    const char* name;
  };
  static constexpr Alias aliases[] = {
      {"c", "C"},           {"st", "ST"},
      {"s", "ST"},          {"l", "L"},
      {"o", "O"},           {"ou", "OU"},
      {"cn", "CN"},         {"dc", "DC"},
      {"uid", "UID"},       {"e", "emailAddress"},
      {"email", "emailAddress"}, {"emailaddress", "emailAddress"},
      {"sn", "SN"},         {"gn", "GN"},
      {"serialnumber", "serialNumber"}, {"title", "title"},
      {"t", "title"},       {"street", "street"},
      {"postalcode", "postalCode"}, {"dnqualifier", "dnQualifier"},
      {"pseudonym", "pseudonym"}, {"initials", "initials"},
  };
  std::string lower(type);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Alias& alias : aliases)
    if (lower == alias.lower) return alias.name;
  return nullptr;
}

ObjectPtr attribute_object(const std::string& type) {
  const char* canonical = canonical_attribute(type);
  ObjectPtr object(OBJ_txt2obj(canonical != nullptr ? canonical : type.c_str(), 0));
  return object;
}

// Where an attribute sits in the naming tree: 0 at the top (country, domain component), 4 for the
// entity itself (CN, UID, e-mail, ...). Used only to tell top-down text from RFC 4514 text.
int tree_level(const ASN1_OBJECT* object) {
  switch (OBJ_obj2nid(object)) {
    case NID_countryName:
    case NID_domainComponent: return 0;
    case NID_stateOrProvinceName:
    case NID_localityName: return 1;
    case NID_organizationName: return 2;
    case NID_organizationalUnitName: return 3;
    default: return 4;
  }
}

// A multi-valued RDN counts at its highest attribute: the order of values inside an RDN is not
// kept (DER sorts the SET), so the rule must not depend on it.
int rdn_level(const std::vector<ObjectPtr>& rdn) {
  int level = 4;
  for (const ObjectPtr& object : rdn) level = std::min(level, tree_level(object.get()));
  return level;
}

std::optional<NamePtr> decode_name(ByteView der) {
  if (der.empty() || der.size() > LONG_MAX) return std::nullopt;
  const unsigned char* p = der.data();
  NamePtr name(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
  if (!name || p != der.data() + der.size()) {  // not a Name, or trailing bytes
    ERR_clear_error();
    return std::nullopt;
  }
  return name;
}

}  // namespace

std::optional<Bytes> dn_from_string(std::string_view text) {
  // Leading blanks are layout; trailing ones are dropped by the value reader unless escaped.
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  if (text.find_first_not_of(" \t") == std::string_view::npos) return std::nullopt;
  const bool slash_form = text.front() == '/';
  std::optional<std::vector<Rdn>> rdns = DnTextParser(text, slash_form).parse();
  if (!rdns || rdns->empty()) return std::nullopt;

  // Resolve every attribute type first: an unknown one fails the whole name.
  std::vector<std::vector<ObjectPtr>> objects;
  for (const Rdn& rdn : *rdns) {
    std::vector<ObjectPtr> row;
    for (const AttributeValue& ava : rdn) {
      ObjectPtr object = attribute_object(ava.type);
      if (!object) {
        ERR_clear_error();
        return std::nullopt;
      }
      row.push_back(std::move(object));
    }
    objects.push_back(std::move(row));
  }

  // The DER order is top-down (country first). Slash text is always top-down; comma text is when
  // it starts higher in the tree than it ends ("C=CH, O=X, CN=gw"), else it is RFC 4514 ("CN=gw,
  // O=X, C=CH") and read backwards.
  const bool top_down = slash_form || rdn_level(objects.front()) < rdn_level(objects.back());
  std::vector<std::size_t> order(rdns->size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = top_down ? i : order.size() - 1 - i;

  NamePtr name(X509_NAME_new());
  if (!name) return std::nullopt;
  for (std::size_t index : order) {
    const Rdn& rdn = (*rdns)[index];
    for (std::size_t i = 0; i < rdn.size(); ++i) {
      const std::string& value = rdn[i].value;
      if (value.size() > INT_MAX) return std::nullopt;
      // set = 0 starts a new RDN; -1 adds to the RDN just appended (a multi-valued RDN).
      if (X509_NAME_add_entry_by_OBJ(name.get(), objects[index][i].get(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), -1, i == 0 ? 0 : -1) != 1) {
        ERR_clear_error();  // e.g. "C=Switzerland": a country is two letters
        return std::nullopt;
      }
    }
  }
  const int length = i2d_X509_NAME(name.get(), nullptr);
  if (length <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  Bytes der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  if (i2d_X509_NAME(name.get(), &out) != length) {
    ERR_clear_error();
    return std::nullopt;
  }
  return der;
}

std::optional<std::string> dn_to_string(ByteView der) {
  std::optional<NamePtr> name = decode_name(der);
  if (!name) return std::nullopt;
  BioPtr bio(BIO_new(BIO_s_mem()));
  // Certificate::subject_string's RFC 4514 order and escaping (UTF-8 left readable), with ", "
  // and " + " between RDNs and values so that status lines read like configuration files.
  const unsigned long flags =
      ((XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) & ~static_cast<unsigned long>(XN_FLAG_SEP_MASK)) |
      XN_FLAG_SEP_CPLUS_SPC;
  if (!bio || X509_NAME_print_ex(bio.get(), name->get(), 0, flags) < 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 && data != nullptr ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

bool dn_equal(ByteView a, ByteView b) {
  std::optional<NamePtr> first = decode_name(a);
  std::optional<NamePtr> second = decode_name(b);
  if (!first || !second) return false;
  // X509_NAME_cmp compares the canonical encodings (RFC 5280 §7.1-style folding), 0 = equal.
  const bool equal = X509_NAME_cmp(first->get(), second->get()) == 0;
  ERR_clear_error();
  return equal;
}

}  // namespace cygnet::crypto
