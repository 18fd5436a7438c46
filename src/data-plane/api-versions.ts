// api-version values of the dated /openai/deployments/… scheme (shared/reference/azure-api.md §1.4).
// A request with any other value (or none) gets Azure's 404 "Resource not found".

export const DATA_PLANE_API_VERSIONS: ReadonlySet<string> = new Set([
  // GA
  '2022-12-01', '2023-05-15', '2024-02-01', '2024-06-01', '2024-10-21',
  // previews
  '2022-03-01-preview', '2022-06-01-preview', '2023-03-15-preview', '2023-06-01-preview', '2023-07-01-preview', '2023-08-01-preview',
  '2023-09-01-preview', '2023-10-01-preview', '2023-12-01-preview', '2024-02-15-preview',
  '2024-03-01-preview', '2024-04-01-preview', '2024-05-01-preview', '2024-07-01-preview',
  '2024-08-01-preview', '2024-09-01-preview', '2024-10-01-preview', '2024-12-01-preview',
  '2025-01-01-preview', '2025-02-01-preview', '2025-03-01-preview', '2025-04-01-preview',
]);

/** api-version values of the v1 scheme (/openai/v1/…), where the parameter is optional. */
export const V1_API_VERSIONS: ReadonlySet<string> = new Set(['v1', 'preview', 'latest']);

/**
 * api-version values of Azure AI Content Safety (/contentsafety/…): its GA versions and the
 * preview that introduced text:shieldPrompt. Any other value (or none) is the same plain 404.
 */
export const CONTENT_SAFETY_API_VERSIONS: ReadonlySet<string> = new Set(['2023-10-01', '2024-02-15-preview', '2024-09-01']);
