// Verdict names as written in decision records and policy reports.
#include "policies/policy.h"

namespace opspilot::policies {

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Allow: return "allow";
    case Verdict::Deny: return "deny";
    case Verdict::NeedsApproval: return "needs_approval";
  }
  return "deny";
}

}  // namespace opspilot::policies
