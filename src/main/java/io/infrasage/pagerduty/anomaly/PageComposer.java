package io.infrasage.pagerduty.anomaly;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.infrasage.pagerduty.clickhouse.Row;
import io.infrasage.pagerduty.memory.PageMemory;
import io.infrasage.pagerduty.memory.PageMemoryRows;
import io.infrasage.pagerduty.memory.PastResolution;

/**
 * What one page carries, decided once when the anomaly is accepted: the anomaly within PagerDuty's limits and the
 * past resolutions of its service from the local incident memory view. The outbox then keeps the finished event, so a
 * retry, or a restart after a crash, sends exactly what was decided, and the dispatcher needs to know nothing of memory.
 */
public final class PageComposer {

    private final PageMemory memory;

    public PageComposer(PageMemory memory) {
        this.memory = memory;
    }

    /**
     * @param events    the trigger body for each target, in the order of the targets
     * @param cuts      what was cut from the anomaly or the event (the same for every target)
     * @param rows      ClickHouse rows recording what the page carried, to be written with its state rows
     */
    public record Page(List<String> events, List<String> cuts, int pastResolutions, List<Row> rows) {

        /** The 202 answer says what was cut and how many past resolutions the page carries (only when there are any). */
        public void describeIn(Map<String, Object> answer) {
            if (!cuts.isEmpty()) {
                answer.put("cut", cuts);
            }
            if (pastResolutions > 0) {
                answer.put("past_resolutions", pastResolutions);
            }
        }
    }

    public Page compose(Anomaly a, String severity, List<RoutingTarget> targets) {
        List<PastResolution> past = memory.recall(a.anomalyId(), a.service(), a.rootCause());
        List<PagerDutyEvents.Trigger> triggers = targets.stream()
                .map(t -> PagerDutyEvents.trigger(a, severity, t.routingKey(), past)).toList();
        // the events differ only in their routing keys (all 32 characters), so they were cut alike
        PagerDutyEvents.Trigger first = triggers.isEmpty() ? PagerDutyEvents.trigger(a, severity, "", past) : triggers.get(0);
        return new Page(triggers.stream().map(PagerDutyEvents.Trigger::json).toList(), first.cuts(), first.pastResolutions(),
                PageMemoryRows.carried(a.anomalyId(), a.service(), first.pastResolutions(), past, Instant.now()));
    }
}
