/**
 * telemetry/ — OpenTelemetry for the engine and the dispatcher (`onboarding-lifecycle/opentelemetry`):
 * `openTelemetry()` implements the engine's and the dispatcher's instrumentation hooks with spans
 * (`operation.ts` per engine operation, `store-call.ts` per store call on the database semantic
 * conventions, `delivery.ts` per delivery) and metrics (`metrics.ts`); `names.ts` holds every
 * attribute and instrument name. The only module here that touches `@opentelemetry/api`, an
 * optional peer dependency: nothing else in the package imports this folder, so an application
 * that does not import this subpath never loads the API.
 *
 * May import: `@opentelemetry/api`, record/ (error codes), and types of store/, engine/ and
 * dispatch/ (the hooks it implements). Never a driver or an adapter.
 */
export { openTelemetry, type OpenTelemetryOptions, type OpenTelemetryInstrumentation } from "./open-telemetry.js";
export {
  TelemetryAttribute,
  TelemetryMetric,
  INSTRUMENTATION_SCOPE,
  OPERATION_BUCKETS,
  DB_BUCKETS,
  LAG_BUCKETS,
} from "./names.js";
