#include "examples/k8s-sim/patch.h"

#include <algorithm>
#include <map>
#include <optional>

namespace opspilot::k8s_sim {

namespace {

// The patchMergeKey of the list fields of the built-in types we serve (from the Go struct tags:
// `patchStrategy:"merge" patchMergeKey:"name"`). Lists not named here are replaced wholesale,
// which is what the real server does for lists without a merge strategy.
const std::map<std::string, std::string>& merge_keys() {
  static const std::map<std::string, std::string> keys = {
      {"containers", "name"},      {"initContainers", "name"}, {"ephemeralContainers", "name"},
      {"env", "name"},             {"volumes", "name"},        {"volumeMounts", "mountPath"},
      {"volumeDevices", "devicePath"}, {"ports", "containerPort"}, {"imagePullSecrets", "name"},
      {"conditions", "type"},      {"hostAliases", "ip"},      {"ownerReferences", "uid"},
      {"topologySpreadConstraints", "topologyKey"}, {"resourceClaims", "name"},
      {"schedulingGates", "name"}, {"containerStatuses", "name"}};
  return keys;
}

// The merge key of a list field. "ports" is two lists in the served types: a container's
// (keyed by containerPort) and a Service's (keyed by port); the elements tell which one this is.
std::optional<std::string> merge_key_of(const std::string& field, const Json& a, const Json& b) {
  auto key = merge_keys().find(field);
  if (key == merge_keys().end()) return std::nullopt;
  if (field != "ports") return key->second;
  for (const Json* list : {&a, &b}) {
    for (const auto& el : list->is_array() ? *list : Json::array()) {
      if (el.is_object() && el.contains("containerPort")) return std::string("containerPort");
      if (el.is_object() && el.contains("port")) return std::string("port");
    }
  }
  return key->second;
}

// Lists of scalars merged as sets (patchStrategy:"merge" without a key).
bool is_primitive_merge_list(const std::string& field) { return field == "finalizers"; }

const std::string kSetOrderPrefix = "$setElementOrder/";
const std::string kDeletePrimitivePrefix = "$deleteFromPrimitiveList/";

Json merge_list(const Json& original, const Json& patch, const std::string& key);

Json merge_object(const Json& original, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (auto it = patch.find("$patch"); it != patch.end() && it->is_string()) {
    const std::string directive = it->get<std::string>();
    if (directive == "delete") return nullptr;
    if (directive == "replace") {
      Json out = patch;
      out.erase("$patch");
      return out;
    }
  }
  Json out = original.is_object() ? original : Json::object();
  if (auto it = patch.find("$retainKeys"); it != patch.end() && it->is_array()) {
    Json kept = Json::object();
    for (const auto& k : *it) {
      if (k.is_string() && out.contains(k.get<std::string>())) kept[k.get<std::string>()] = out[k.get<std::string>()];
    }
    out = kept;
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& field = it.key();
    if (field == "$patch" || field == "$retainKeys" || field.rfind(kSetOrderPrefix, 0) == 0) continue;
    if (field.rfind(kDeletePrimitivePrefix, 0) == 0) {
      const std::string target = field.substr(kDeletePrimitivePrefix.size());
      if (out.contains(target) && out[target].is_array() && it->is_array()) {
        Json kept = Json::array();
        for (const auto& v : out[target]) {
          if (std::find(it->begin(), it->end(), v) == it->end()) kept.push_back(v);
        }
        out[target] = kept;
      }
      continue;
    }
    const Json& value = it.value();
    if (value.is_null()) {
      out.erase(field);
      continue;
    }
    const Json current = out.contains(field) ? out[field] : Json();
    if (value.is_object()) {
      Json merged = merge_object(current, value);
      if (merged.is_null()) out.erase(field);
      else out[field] = std::move(merged);
    } else if (value.is_array()) {
      const auto key = merge_key_of(field, current, value);
      if (key && current.is_array()) {
        out[field] = merge_list(current, value, *key);
      } else if (is_primitive_merge_list(field) && current.is_array()) {
        Json merged = current;
        for (const auto& v : value) {
          if (std::find(merged.begin(), merged.end(), v) == merged.end()) merged.push_back(v);
        }
        out[field] = merged;
      } else {
        Json cleaned = Json::array();  // a replaced list may still carry element directives
        for (const auto& v : value) {
          if (!(v.is_object() && v.contains("$patch"))) cleaned.push_back(v);
        }
        out[field] = cleaned;
      }
    } else {
      out[field] = value;
    }
  }
  // $setElementOrder/<list>: reorder the merged list as the patch lists it (others keep their place at the end).
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.key().rfind(kSetOrderPrefix, 0) != 0 || !it->is_array()) continue;
    const std::string target = it.key().substr(kSetOrderPrefix.size());
    if (!out.contains(target) || !out[target].is_array()) continue;
    const auto key = merge_key_of(target, out[target], *it);
    Json ordered = Json::array();
    Json rest = out[target];
    for (const auto& want : *it) {
      for (auto el = rest.begin(); el != rest.end(); ++el) {
        const bool same = key && want.is_object() && el->is_object()
                              ? want.value(*key, Json()) == el->value(*key, Json())
                              : want == *el;
        if (same) {
          ordered.push_back(*el);
          rest.erase(el);
          break;
        }
      }
    }
    for (const auto& el : rest) ordered.push_back(el);
    out[target] = ordered;
  }
  return out;
}

Json merge_list(const Json& original, const Json& patch, const std::string& key) {
  // `$patch: replace` anywhere in the list replaces the whole list with the other elements.
  for (const auto& el : patch) {
    if (el.is_object() && el.value("$patch", "") == "replace") {
      Json out = Json::array();
      for (const auto& e : patch) {
        if (!(e.is_object() && e.contains("$patch"))) out.push_back(e);
      }
      return out;
    }
  }
  Json out = original;
  for (const auto& el : patch) {
    if (!el.is_object() || !el.contains(key)) {
      out.push_back(el);
      continue;
    }
    const Json& id = el[key];
    auto match = std::find_if(out.begin(), out.end(),
                              [&](const Json& o) { return o.is_object() && o.contains(key) && o[key] == id; });
    if (el.value("$patch", "") == "delete") {
      if (match != out.end()) out.erase(match);
      continue;
    }
    if (match == out.end()) {
      out.push_back(merge_object(Json::object(), el));
    } else {
      *match = merge_object(*match, el);
    }
  }
  return out;
}

}  // namespace

PatchType patch_type_of(const std::string& content_type) {
  std::string ct = content_type.substr(0, content_type.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  if (ct == "application/json-patch+json") return PatchType::Json;
  if (ct == "application/merge-patch+json") return PatchType::Merge;
  if (ct == "application/strategic-merge-patch+json") return PatchType::Strategic;
  if (ct == "application/apply-patch+yaml" || ct == "application/apply-patch+cbor") return PatchType::Apply;
  return PatchType::Unknown;
}

std::vector<std::string> accepted_patch_types() {
  return {"application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"};
}

Json strategic_merge(const Json& original, const Json& patch) { return merge_object(original, patch); }

PatchOutcome apply_patch(const Json& original, PatchType type, const std::string& patch_text) {
  PatchOutcome out;
  const Json patch = Json::parse(patch_text, nullptr, /*allow_exceptions=*/false);
  if (patch.is_discarded()) {
    out.bad_request = true;
    out.error = "error decoding patch: the patch is not valid JSON: " + patch_text.substr(0, 200);
    return out;
  }
  switch (type) {
    case PatchType::Json: {
      if (!patch.is_array()) {
        out.bad_request = true;
        out.error = "json: cannot unmarshal " + std::string(patch.type_name()) + " into Go value of type jsonpatch.Patch";
        return out;
      }
      try {
        out.result = original.patch(patch);
      } catch (const nlohmann::json::exception& e) {
        // nlohmann reports e.g. "[json.exception.out_of_range.403] key 'x' not found"; keep the
        // part after the bracket and name the patch that failed.
        std::string what = e.what();
        if (auto close = what.find("] "); close != std::string::npos) what = what.substr(close + 2);
        out.error = "the JSON patch " + patch.dump() + " cannot be applied: " + what;
        return out;
      }
      break;
    }
    case PatchType::Merge:
    case PatchType::Strategic:
      if (!patch.is_object()) {
        out.bad_request = true;
        out.error = "the patch is " + std::string(patch.type_name()) + ", expected a JSON object";
        return out;
      }
      if (type == PatchType::Merge) {
        out.result = original;
        out.result.merge_patch(patch);
      } else {
        out.result = strategic_merge(original, patch);
      }
      break;
    default:
      out.bad_request = true;
      out.error = "unsupported patch type";
      return out;
  }
  out.ok = true;
  return out;
}

}  // namespace opspilot::k8s_sim
