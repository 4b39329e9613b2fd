package io.infrasage.pagerduty.outbox.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

class CoalescedRequestTest {

    /** Every request sent, in order, answered by the test. */
    private final List<CompletableFuture<Integer>> sent = new ArrayList<>();
    private final CoalescedRequest<Integer> ends = new CoalescedRequest<>(() -> {
        CompletableFuture<Integer> request = new CompletableFuture<>();
        sent.add(request);
        return request;
    });

    @Test
    void callersArrivingWhileARequestIsOutShareTheNextOneSentOnceThatIsAnswered() {
        CompletableFuture<Integer> first = ends.askedFromNow();
        List<CompletableFuture<Integer>> later = List.of(ends.askedFromNow(), ends.askedFromNow(), ends.askedFromNow());
        assertThat(sent).hasSize(1);

        sent.get(0).complete(10);
        assertThat(first).isCompletedWithValue(10);
        // the answer to the first request was asked for before they came: they wait for the second
        assertThat(sent).hasSize(2);
        assertThat(later).allSatisfy(f -> assertThat(f).isNotDone());

        sent.get(1).complete(12);
        assertThat(later).allSatisfy(f -> assertThat(f).isCompletedWithValue(12));
        assertThat(sent).hasSize(2);
    }

    @Test
    void withNothingOutACallerSendsAtOnce() {
        ends.askedFromNow();
        sent.get(0).complete(1);
        CompletableFuture<Integer> again = ends.askedFromNow();
        assertThat(sent).hasSize(2);
        sent.get(1).complete(2);
        assertThat(again).isCompletedWithValue(2);
    }

    @Test
    void aFailedRequestFailsItsCallersAndTheNextCallerSendsAFreshOne() {
        CompletableFuture<Integer> first = ends.askedFromNow();
        CompletableFuture<Integer> waiting = ends.askedFromNow();
        sent.get(0).completeExceptionally(new IllegalStateException("broker away"));
        assertThat(first).isCompletedExceptionally();
        sent.get(1).completeExceptionally(new IllegalStateException("broker still away"));
        assertThat(waiting).isCompletedExceptionally();

        CompletableFuture<Integer> after = ends.askedFromNow();
        assertThat(sent).hasSize(3);
        sent.get(2).complete(5);
        assertThat(after).isCompletedWithValue(5);
    }

    @Test
    void aRequestAnsweredAtOnceDoesNotLeaveLaterCallersWaiting() {
        CoalescedRequest<Integer> immediate = new CoalescedRequest<>(() -> CompletableFuture.completedFuture(7));
        assertThat(immediate.askedFromNow()).isCompletedWithValue(7);
        assertThat(immediate.askedFromNow()).isCompletedWithValue(7);
    }
}
