/* manifest.h: Kubernetes manifests: finds the plans held in ConfigMaps and maps positions inside a
 * plan back to the manifest file. */
#ifndef STOPPLAN_MANIFEST_H
#define STOPPLAN_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct node;

/* A ConfigMap data entry whose value is a plan. Points into the manifest's nodes (not owned). */
struct manifest_plan {
	const char *configmap;          /* metadata.name ("?" when missing) */
	const char *key;                /* the data key, e.g. "plan.yaml" */
	const struct node *value;       /* the scalar holding the plan text */
};

/* True when some document is a Kubernetes object (a mapping with apiVersion and kind). */
bool manifest_is_manifest(struct node *const *docs, size_t ndocs);
/* Finds every ConfigMap data entry (also inside kind: List) whose value is a plan: YAML whose root
 * is a mapping with a top-level "stopplan" key, or text that fails to parse as YAML but has a
 * "stopplan:" line at column 1. Other entries are not plans. Returns the number found; *out is
 * newly allocated (free it with free()). */
size_t manifest_find_plans(struct node *const *docs, size_t ndocs, struct manifest_plan **out);
/* Copies every error of `from` (positions inside the plan text of mp) into `to` at manifest
 * positions: exact for literal block scalars; otherwise at the scalar's start, with the position
 * inside the plan added to the message ("line 3:7 of the plan: ..."). */
void manifest_map_diag(const struct manifest_plan *mp, const struct diag *from, struct diag *to);

#endif
