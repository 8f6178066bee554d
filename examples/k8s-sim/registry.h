#pragma once
// The API semantics of the served resources, independent of HTTP: create/get/list/update/patch/
// delete with resourceVersion preconditions (409), metadata.generation, defaulting and
// validation (422), dry runs, and the subresources: status, scale (autoscaling/v1 Scale) and
// pods/eviction (policy/v1, refused with 429 when a PodDisruptionBudget would be violated).
// Thread-safety: none; used from the simulator's one thread, like the Store it writes to.
#include <string>
#include <vector>

#include "agent/clock.h"
#include "examples/k8s-sim/options.h"
#include "examples/k8s-sim/resources.h"
#include "examples/k8s-sim/status.h"
#include "examples/k8s-sim/store.h"

namespace opspilot::k8s_sim {

struct WriteOptions {
  bool dry_run = false;                // ?dryRun=All: validate and answer, store nothing
  std::string propagation_policy;      // DELETE: Orphan, Background (default) or Foreground
};

class Registry {
 public:
  Registry(Store& store, const agent::Clock& clock, const SimOptions& options);

  ApiResult get(const ResourceType& type, const std::string& ns, const std::string& name);
  /// The list with metadata.resourceVersion; items filtered by the selectors (errors are 400s).
  ApiResult list(const ResourceType& type, const std::string& ns, const std::string& label_selector,
                 const std::string& field_selector);
  /// The matching objects themselves (for Table rendering and watches).
  bool select(const ResourceType& type, const std::string& ns, const std::string& label_selector,
              const std::string& field_selector, std::vector<const Json*>* out, ApiResult* error);

  ApiResult create(const ResourceType& type, const std::string& ns, const std::string& body, const WriteOptions& opt);
  /// Creates from an already decoded object (the seed file uses this too).
  ApiResult create_object(const ResourceType& type, const std::string& ns, Json object, const WriteOptions& opt);
  ApiResult update(const ResourceType& type, const std::string& ns, const std::string& name,
                   const std::string& subresource, const std::string& body, const WriteOptions& opt);
  ApiResult patch(const ResourceType& type, const std::string& ns, const std::string& name,
                  const std::string& subresource, const std::string& content_type, const std::string& body,
                  const WriteOptions& opt);
  ApiResult remove(const ResourceType& type, const std::string& ns, const std::string& name, const std::string& body,
                   const WriteOptions& opt);
  ApiResult remove_collection(const ResourceType& type, const std::string& ns, const std::string& label_selector,
                              const std::string& field_selector, const WriteOptions& opt);

  ApiResult get_subresource(const ResourceType& type, const std::string& ns, const std::string& name,
                            const std::string& subresource);
  ApiResult evict(const std::string& ns, const std::string& name, const std::string& body, const WriteOptions& opt);

 private:
  ApiResult decode(const ResourceType& type, const std::string& body, Json* out, const std::string& expect_kind = "");
  ApiResult check_namespace(const ResourceType& type, const std::string& ns);
  /// The common tail of PUT and PATCH on the object itself.
  ApiResult write_update(const ResourceType& type, const std::string& ns, const std::string& name, Json incoming,
                         const WriteOptions& opt);
  ApiResult write_status(const ResourceType& type, Entry& entry, Json incoming, const WriteOptions& opt);
  ApiResult write_scale(const ResourceType& type, Entry& entry, Json scale, const WriteOptions& opt);
  Json scale_of(const Json& object) const;
  /// Services: a cluster IP (10.96.0.0/12) and, for NodePort/LoadBalancer, node ports
  /// (30000-32767) where the object has none; causes when a requested one is taken
  /// (registry_service.cpp). `old` is the stored service on update.
  std::vector<Cause> allocate_service(Json& service, const Json* old);
  /// On update, what the allocators gave the stored service carries over when the client left
  /// it out (a PUT without spec.clusterIP keeps the address, as kube-apiserver does).
  static void keep_service_allocations(const Json& existing, Json& incoming);

  Store& store_;
  const agent::Clock& clock_;
  const SimOptions& options_;
};

/// The object as a list item: without kind and apiVersion, as the real API lists them.
Json list_item(const Json& object);

}  // namespace opspilot::k8s_sim
