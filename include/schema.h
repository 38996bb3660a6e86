/* schema.h: the JSON Schema (draft 2020-12) of the plan format, for editors and CI. */
#ifndef STOPPLAN_SCHEMA_H
#define STOPPLAN_SCHEMA_H

/* The schema as JSON text (static; the same bytes as doc/stopplan.schema.json). */
extern const char schema_json[];

#endif
