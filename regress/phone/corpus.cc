// corpus.cc — the phone corpus: libphonenumber's example numbers of every region and
// type, written the ways people write them, plus impossible numbers, each with what
// libphonenumber (the reference) makes of it. Output, one line each (TSV):
//   form  region  input  default_region  expected
// expected: the E.164 form of a valid number, \N for an impossible one (or one that does
// not parse), ? for a possible but invalid one (not counted: any answer agrees).
#include <phonenumbers/phonenumberutil.h>

#include <iostream>
#include <set>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

static const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();

static std::string Expected(const std::string& input, const std::string& region) {
  PhoneNumber n;
  if (util.Parse(input, region, &n) != PhoneNumberUtil::NO_PARSING_ERROR) return "\\N";
  if (!util.IsPossibleNumber(n)) return "\\N";
  if (!util.IsValidNumber(n)) return "?";
  std::string e164;
  util.Format(n, PhoneNumberUtil::E164, &e164);
  return e164;
}

static void Emit(const char* form, const std::string& region, const std::string& input,
                 const std::string& default_region) {
  std::cout << form << '\t' << region << '\t' << input << '\t' << default_region << '\t'
            << Expected(input, default_region) << '\n';
}

// The number written every way we accept, dialled from its own region (national
// forms) and from abroad (IDD forms).
static void Variants(const PhoneNumber& n, const std::string& region, bool geographic) {
  std::string s;
  const std::string home = geographic ? region : "US";
  util.Format(n, PhoneNumberUtil::E164, &s);
  Emit("e164", region, s, home);
  util.Format(n, PhoneNumberUtil::INTERNATIONAL, &s);
  Emit("international", region, s, home);
  for (char& c : s)
    if (c == ' ' || c == '-') c = '.';
  Emit("dotted", region, s, home);
  const std::string from00 = n.country_code() == 49 ? "FR" : "DE";
  util.FormatOutOfCountryCallingNumber(n, from00, &s);
  Emit("idd_00", region, s, from00);
  const std::string from011 = n.country_code() == 1 ? "GB" : "US";
  util.FormatOutOfCountryCallingNumber(n, from011, &s);
  Emit(n.country_code() == 1 ? "idd_00" : "idd_011", region, s, from011);
  if (geographic) {
    util.Format(n, PhoneNumberUtil::NATIONAL, &s);
    Emit("national", region, s, region);
    Emit("extension", region, s + " ext. 42", region);
    util.GetNationalSignificantNumber(n, &s);
    Emit("digits", region, s, region);
  }
  // impossible: shortened until too short, lengthened until too long
  std::string nsn;
  util.GetNationalSignificantNumber(n, &nsn);
  const std::string cc = "+" + std::to_string(n.country_code());
  for (std::string shorter = nsn; shorter.size() > 1;) {
    shorter.pop_back();
    PhoneNumber p;
    if (util.Parse(cc + shorter, "ZZ", &p) != PhoneNumberUtil::NO_PARSING_ERROR ||
        util.IsPossibleNumberWithReason(p) == PhoneNumberUtil::TOO_SHORT) {
      Emit("too_short", region, cc + shorter, home);
      break;
    }
  }
  for (std::string longer = nsn; longer.size() < 20;) {
    longer.push_back('5');
    PhoneNumber p;
    if (util.Parse(cc + longer, "ZZ", &p) != PhoneNumberUtil::NO_PARSING_ERROR ||
        util.IsPossibleNumberWithReason(p) == PhoneNumberUtil::TOO_LONG) {
      Emit("too_long", region, cc + longer, home);
      break;
    }
  }
}

int main() {
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  for (const std::string& region : regions) {
    std::set<PhoneNumberUtil::PhoneNumberType> types;
    util.GetSupportedTypesForRegion(region, &types);
    for (PhoneNumberUtil::PhoneNumberType type : types) {
      PhoneNumber n;
      if (util.GetExampleNumberForType(region, type, &n)) Variants(n, region, true);
    }
  }
  std::set<int> codes;
  util.GetSupportedGlobalNetworkCallingCodes(&codes);
  for (int code : codes) {
    PhoneNumber n;
    if (util.GetExampleNumberForNonGeoEntity(code, &n)) Variants(n, "001", false);
  }
  return 0;
}
