/**
 * The course's activities by name, before any grade exists: read at each instructor
 * launch (and each sync) so the criteria editor lists them and refuses the ones the
 * course does not have, and credential narratives say "Quiz 3", never `moodle:cm:3`.
 *
 * - AGS line items the tool can see (https://www.imsglobal.org/spec/lti-ags/v2p0#line-item-service);
 * - Moodle `core_course_get_contents` (every course module but text-and-media labels);
 * - Canvas assignments (`GET /api/v1/courses/:id/assignments`) and module items with a
 *   completion requirement (`GET /api/v1/courses/:id/modules?include[]=items`).
 *
 * Each source that fails is reported and the others still count.
 */
import type { Logger } from '../logger.ts';
import type { OutboundFetch } from '../outbound/outbound-fetch.ts';
import type { AgsClient, LineItem } from '../lti/services.ts';
import type { Queryable } from '../storage/database.ts';
import { createOutcomeRepository, findConnectorCourseId, type OutcomeActivity, type OutcomeContext } from '../storage/outcome-repository.ts';
import type { OutcomeConnector } from '../storage/outcome-secret-repository.ts';
import { lineItemActivity } from './ags-results-sync.ts';
import { callMoodle, moodleActivity, type MoodleClientParameters } from './moodle-connector.ts';
import { canvasAssignmentActivity, canvasModuleItemActivity, canvasPages, type CanvasClientParameters } from './canvas-connector.ts';

export interface CourseActivitiesReport {
  /** Activities known after the refresh, per source that answered. */
  sources: Record<string, { activities: number; error?: string }>;
  /** Line items the LMS holds, with their `resourceId` (Deep Linking drafts are confirmed by them). */
  lineItems: LineItem[];
}

type Activity = Omit<OutcomeActivity, 'contextId'>;

/** Moodle modules that are not activities a learner does (text on the course page). */
const MOODLE_NOT_ACTIVITIES = new Set(['label']);

/** Every module of a Moodle course as an activity. */
export async function readMoodleActivities(client: MoodleClientParameters, courseId: string): Promise<Activity[]> {
  const sections = await callMoodle<Array<{ modules?: Array<{ id: number; name: string; modname: string }> }>>(client, 'core_course_get_contents', {
    courseid: courseId,
  });
  const activities: Activity[] = [];
  for (const section of sections) {
    for (const module of section.modules ?? []) {
      if (MOODLE_NOT_ACTIVITIES.has(module.modname)) continue;
      activities.push({ activity: moodleActivity(module.id), name: module.name, source: 'moodle', max: null });
    }
  }
  return activities;
}

/** Assignments and completion-tracked module items of a Canvas course. */
export async function readCanvasActivities(client: CanvasClientParameters, courseId: string): Promise<Activity[]> {
  const course = `api/v1/courses/${encodeURIComponent(courseId)}`;
  const activities: Activity[] = [];
  for await (const page of canvasPages<{ id: number; name: string; points_possible: number | null }>(client, `${course}/assignments`)) {
    for (const assignment of page) {
      activities.push({ activity: canvasAssignmentActivity(assignment.id), name: assignment.name, source: 'canvas', max: assignment.points_possible ?? null });
    }
  }
  for await (const modules of canvasPages<{ items?: Array<{ id: number; title: string; completion_requirement?: unknown }> }>(client, `${course}/modules`, [
    ['include[]', 'items'],
  ])) {
    for (const module of modules) {
      for (const item of module.items ?? []) {
        if (item.completion_requirement) activities.push({ activity: canvasModuleItemActivity(item.id), name: item.title, source: 'canvas', max: null });
      }
    }
  }
  return activities;
}

/**
 * Reads the course's activities from every source it has and stores their names.
 */
export async function refreshCourseActivities({
  db,
  context,
  ags,
  connector,
  fetch,
  log,
}: {
  db: Queryable;
  context: OutcomeContext;
  /** The platform's AGS client, when the course has a line items service. */
  ags: Pick<AgsClient, 'listLineItems'> | null;
  connector: OutcomeConnector | null;
  /** Sello's outbound client (src/outbound). */
  fetch: OutboundFetch;
  /** Where a refused paging link is reported. */
  log?: Pick<Logger, 'warn'>;
}): Promise<CourseActivitiesReport> {
  const report: CourseActivitiesReport = { sources: {}, lineItems: [] };
  const found: Activity[] = [];
  const attempt = async (source: string, read: () => Promise<Activity[]>) => {
    try {
      const activities = await read();
      found.push(...activities);
      report.sources[source] = { activities: activities.length };
    } catch (error) {
      report.sources[source] = { activities: 0, error: error instanceof Error ? error.message : String(error) };
    }
  };
  if (ags && context.agsLineItemsUrl) {
    await attempt('ags', async () => {
      report.lineItems = await ags.listLineItems(context.agsLineItemsUrl!);
      return report.lineItems.map((item) => ({ activity: lineItemActivity(item), name: item.label, source: 'ags', max: item.scoreMaximum ?? null }));
    });
  }
  if (connector) {
    // Moodle's LTI context id is its course id; Canvas needs the mapping (migration 0401).
    const courseId = (await findConnectorCourseId(db, context.id)) ?? context.lmsContextId;
    const client = { baseUrl: connector.baseUrl, token: connector.token, fetch, log };
    await attempt(connector.kind, () => (connector.kind === 'moodle' ? readMoodleActivities(client, courseId) : readCanvasActivities(client, courseId)));
  }
  await createOutcomeRepository(db).upsertActivities(found.map((activity) => ({ ...activity, contextId: context.id })));
  return report;
}
