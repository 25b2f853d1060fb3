using ManagerVerified.Harness.Checking;
using ManagerVerified.Harness.ModelChecking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Races;
using Xunit;

namespace ManagerVerified.Tests.Unit;

/// <summary>The model checker on toy programs whose answers are known: how many Mazurkiewicz traces there
/// are, which bug is there, that a correct program is complete.</summary>
public sealed class ModelCheckerTests
{
    /// <summary>A shared variable of a toy program: every access is a scheduling point and reports its location.</summary>
    private sealed class Shared(IScheduler scheduler, int id)
    {
        private readonly Location _location = new(LocationKind.Variable, id);
        private long _value;

        public long Plain => Volatile.Read(ref _value);

        public Location Location => _location;

        public long Load()
        {
            scheduler.Point();
            scheduler.Accessed(_location, AccessKind.AcquireLoad);
            return Volatile.Read(ref _value);
        }

        public void Store(long value)
        {
            scheduler.Point();
            scheduler.Accessed(_location, AccessKind.ReleaseStore);
            Volatile.Write(ref _value, value);
        }

        public long Increment()
        {
            scheduler.Point();
            scheduler.Accessed(_location, AccessKind.ReadModifyWrite);
            return ++_value;
        }
    }

    private static void Run(IScheduler scheduler, int tasks, Action<int> body) =>
        scheduler.RunTasks(tasks, body).GetAwaiter().GetResult();

    private static double Multinomial(int tasks, int each)
    {
        double result = 1;
        int total = 0;
        for (int t = 0; t < tasks; t++)
        {
            for (int s = 1; s <= each; s++)
            {
                result *= (double)(total + s) / s;
            }

            total += each;
        }

        return result;
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 3)]
    [InlineData(4, 2)]
    public void IndependentTasks_OneTrace(int tasks, int steps)
    {
        ModelCheckResult result = ModelChecker.Explore((scheduler, sink) =>
        {
            Shared[] own = [.. Enumerable.Range(0, tasks).Select(i => new Shared(scheduler, i))];
            Run(scheduler, tasks, t =>
            {
                for (int s = 0; s < steps; s++)
                {
                    own[t].Increment();
                }
            });
        });

        Assert.Equal(ModelVerdict.Complete, result.Verdict);
        Assert.Equal(1, result.Executions);
        Assert.Equal(0, result.SleepBlocked);
        Assert.Equal(Multinomial(tasks, steps + 1), result.NaiveInterleavings); // each task's first step starts it
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    public void SharedCounter_ExactlyTheMultinomialNumberOfTraces(int tasks, int increments)
    {
        // Every increment is a read-modify-write of one counter: all conflict, so every order of the
        // increments is its own trace, (n k)! / (k!)^n of them, and each must be explored exactly once.
        var seen = new HashSet<string>();
        ModelCheckResult result = ModelChecker.Explore((scheduler, sink) =>
        {
            var counter = new Shared(scheduler, 0);
            var order = new int[tasks * increments];
            Run(scheduler, tasks, t =>
            {
                for (int i = 0; i < increments; i++)
                {
                    order[counter.Increment() - 1] = t;
                }
            });
            Assert.True(seen.Add(string.Concat(order)), $"the order {string.Concat(order)} was explored twice");
        });

        Assert.Equal(ModelVerdict.Complete, result.Verdict);
        Assert.Equal(Multinomial(tasks, increments), result.Executions);
        Assert.Equal(result.Executions, seen.Count);
    }

    [Fact]
    public void ReadsCommute_OnlyTheWriteIsOrdered()
    {
        // One writer, two readers of x: each reader sees x before or after the write, 2 x 2 traces;
        // the readers' order between them does not matter.
        var outcomes = new HashSet<string>();
        ModelCheckResult result = ModelChecker.Explore((scheduler, sink) =>
        {
            var x = new Shared(scheduler, 0);
            var seen = new long[3];
            Run(scheduler, 3, t =>
            {
                if (t == 0)
                {
                    x.Store(1);
                }
                else
                {
                    seen[t] = x.Load();
                }
            });
            outcomes.Add($"{seen[1]}{seen[2]}");
        });

        Assert.Equal(ModelVerdict.Complete, result.Verdict);
        Assert.Equal(4, result.Executions);
        Assert.Equal(4, outcomes.Count);
    }

    [Fact]
    public void LostUpdate_FoundWithOnePreemption_AndReplays()
    {
        ModelProgram program = (scheduler, sink) =>
        {
            var counter = new Shared(scheduler, 0);
            Run(scheduler, 2, t =>
            {
                long read = counter.Load();
                counter.Store(read + 1);
            });
            if (counter.Plain != 2)
            {
                sink.Report(SpecProperty.Other, $"lost update: the counter is {counter.Plain} after two increments");
            }
        };

        ModelCheckResult result = ModelChecker.Explore(program);

        Assert.Equal(ModelVerdict.Violation, result.Verdict);
        ModelCounterexample counterexample = Assert.IsType<ModelCounterexample>(result.Counterexample);
        Assert.Equal(SpecProperty.Other, counterexample.Violation.Property);
        Assert.Equal(1, counterexample.Preemptions);
        Violation? replayed = ModelChecker.Replay(program, ModelTrace.Parse(counterexample.Trace.Serialize("lost update")));
        Assert.Equal(counterexample.Violation, replayed);
    }

    [Fact]
    public void MinimalCounterexample_HasTheFewestPreemptions()
    {
        // The bug needs task 1 to be preempted twice (between its three steps, task 0 must run); the
        // first execution DPOR finds may have more preemptions, the minimized one has exactly two.
        ModelProgram program = (scheduler, sink) =>
        {
            var x = new Shared(scheduler, 0);
            var seen = new long[2];
            Run(scheduler, 2, t =>
            {
                if (t == 0)
                {
                    x.Store(1);
                    x.Store(2);
                }
                else
                {
                    seen[0] = x.Load();
                    seen[1] = x.Load();
                    x.Load();
                }
            });
            if (seen[0] == 1 && seen[1] == 2)
            {
                sink.Report(SpecProperty.Other, "task 1 saw both stores one by one");
            }
        };

        ModelCheckResult result = ModelChecker.Explore(program);

        Assert.Equal(ModelVerdict.Violation, result.Verdict);
        Assert.Equal(2, result.Counterexample!.Preemptions);
    }

    [Fact]
    public void FlagHandOff_CompleteWithoutViolation()
    {
        // The classic message passing: the producer writes the data, then raises the flag; the consumer
        // waits for the flag, then reads the data. Correct in every interleaving.
        ModelCheckResult result = ModelChecker.Explore((scheduler, sink) =>
        {
            var data = new Shared(scheduler, 0);
            var flag = new Shared(scheduler, 1);
            Run(scheduler, 2, t =>
            {
                if (t == 0)
                {
                    data.Store(42);
                    flag.Store(1);
                }
                else
                {
                    scheduler.WaitingOn(flag.Location);
                    scheduler.WaitUntil(() => flag.Plain == 1, giveUp: null);
                    if (data.Load() != 42)
                    {
                        sink.Report(SpecProperty.Other, "the consumer saw the flag before the data");
                    }
                }
            });
        });

        Assert.Equal(ModelVerdict.Complete, result.Verdict);
        Assert.Null(result.Counterexample);
        Assert.True(result.Executions >= 1);
    }

    [Fact]
    public void FlagHandOff_WithTheStoresSwapped_IsFound()
    {
        ModelCheckResult result = ModelChecker.Explore((scheduler, sink) =>
        {
            var data = new Shared(scheduler, 0);
            var flag = new Shared(scheduler, 1);
            Run(scheduler, 2, t =>
            {
                if (t == 0)
                {
                    flag.Store(1); // the bug: the flag goes up before the data is there
                    data.Store(42);
                }
                else
                {
                    scheduler.WaitingOn(flag.Location);
                    scheduler.WaitUntil(() => flag.Plain == 1, giveUp: null);
                    if (data.Load() != 42)
                    {
                        sink.Report(SpecProperty.Other, "the consumer saw the flag before the data");
                    }
                }
            });
        });

        Assert.Equal(ModelVerdict.Violation, result.Verdict);
        Assert.Equal(1, result.Counterexample!.Preemptions);
    }

    [Fact]
    public void Choices_EveryValueExplored()
    {
        var values = new HashSet<(int, int)>();
        ModelCheckResult result = ModelChecker.Explore((scheduler, sink) =>
        {
            int first = scheduler.Choose(3); // a set-up choice
            int second = -1;
            Run(scheduler, 1, _ => second = scheduler.Choose(2)); // a task's choice
            values.Add((first, second));
        });

        Assert.Equal(ModelVerdict.Complete, result.Verdict);
        Assert.Equal(6, result.Executions);
        Assert.Equal(6, values.Count);
    }

    [Fact]
    public void TimedWait_BothOutcomesExplored_AndABlockedWaitIsADeadlock()
    {
        var outcomes = new HashSet<bool>();
        ModelCheckResult timed = ModelChecker.Explore((scheduler, sink) =>
        {
            var flag = new Shared(scheduler, 0);
            Run(scheduler, 1, _ =>
            {
                scheduler.WaitingOn(flag.Location);
                outcomes.Add(scheduler.WaitUntil(() => flag.Plain == 1, giveUp: () => false));
            });
        });
        Assert.Equal(ModelVerdict.Complete, timed.Verdict);
        Assert.Equal([false], outcomes); // nobody raises the flag: the only way out is giving up

        ModelCheckResult blocked = ModelChecker.Explore((scheduler, sink) =>
        {
            var flag = new Shared(scheduler, 0);
            Run(scheduler, 1, _ =>
            {
                scheduler.WaitingOn(flag.Location);
                scheduler.WaitUntil(() => flag.Plain == 1, giveUp: null);
            });
        });
        Assert.Equal(ModelVerdict.Violation, blocked.Verdict);
        Assert.Equal(SpecProperty.Deadlock, blocked.Counterexample!.Violation.Property);
    }

    [Fact]
    public void StepBound_MakesTheVerdictBounded()
    {
        ModelCheckResult result = ModelChecker.Explore(
            (scheduler, sink) =>
            {
                var counter = new Shared(scheduler, 0);
                Run(scheduler, 2, t =>
                {
                    for (int i = 0; i < 5; i++)
                    {
                        counter.Increment();
                    }
                });
            },
            new ModelCheckOptions { MaxSteps = 6 });

        Assert.Equal(ModelVerdict.Bounded, result.Verdict);
        Assert.True(result.StepBoundCuts > 0);
        Assert.Contains("step bound", result.Cuts, StringComparison.Ordinal);
    }

    [Fact]
    public void TaskSpinningAlone_IsALivelock_ButSpinningWhileAnotherCanRunIsNot()
    {
        // Task 1 spins until task 0 sets the flag. Correct: whenever task 1 runs alone, task 0 has finished and
        // set it. The broken version never sets it: task 1 then spins alone, which is reported.
        static ModelCheckResult Explore(bool sets) => ModelChecker.Explore(
            (scheduler, sink) =>
            {
                var flag = new Shared(scheduler, 0);
                Run(scheduler, 2, t =>
                {
                    if (t == 0)
                    {
                        flag.Store(sets ? 1 : 0);
                        return;
                    }

                    while (flag.Load() == 0)
                    {
                    }
                });
            },
            new ModelCheckOptions { MaxSteps = 400, LivelockSteps = 100 });

        ModelCheckResult correct = Explore(sets: true);
        Assert.Null(correct.Counterexample);
        Assert.Equal(ModelVerdict.Bounded, correct.Verdict); // schedules that starve task 0 are cut, not reported
        Assert.True(correct.StepBoundCuts > 0);

        ModelCheckResult broken = Explore(sets: false);
        Assert.Equal(ModelVerdict.Violation, broken.Verdict);
        Assert.Equal(SpecProperty.StepBound, broken.Counterexample!.Violation.Property);
        Assert.Contains("livelock", broken.Counterexample.Violation.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void SetUpSpinningAlone_IsALivelock()
    {
        ModelCheckResult result = ModelChecker.Explore(
            (scheduler, sink) =>
            {
                var flag = new Shared(scheduler, 0);
                while (flag.Load() == 0)
                {
                }
            },
            new ModelCheckOptions { LivelockSteps = 50 });

        Assert.Equal(ModelVerdict.Violation, result.Verdict);
        Assert.Equal(SpecProperty.StepBound, result.Counterexample!.Violation.Property);
    }

    [Fact]
    public void PreemptionBound_MakesTheVerdictBounded_AndCutsAlternatives()
    {
        ModelCheckResult result = ModelChecker.Explore(
            (scheduler, sink) =>
            {
                var counter = new Shared(scheduler, 0);
                Run(scheduler, 3, t =>
                {
                    counter.Increment();
                    counter.Increment();
                });
            },
            new ModelCheckOptions { PreemptionBound = 0 });

        Assert.Equal(ModelVerdict.Bounded, result.Verdict);
        Assert.True(result.PreemptionCuts > 0);
        Assert.True(result.Executions < Multinomial(3, 2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void PreemptionBound_ReachesEveryOrderWithThatManyPreemptions(int bound)
    {
        // Two tasks, three increments each of one counter: every order of the six is its own trace and its
        // own schedule, so its preemptions are known (a switch away from a task that has increments left).
        // The bounded search must reach every order with at most `bound` of them.
        const int Each = 3;
        var found = new HashSet<string>();
        ModelCheckResult result = ModelChecker.Explore(
            (scheduler, sink) =>
            {
                var counter = new Shared(scheduler, 0);
                var order = new int[2 * Each];
                Run(scheduler, 2, t =>
                {
                    for (int i = 0; i < Each; i++)
                    {
                        order[counter.Increment() - 1] = t;
                    }
                });
                found.Add(string.Concat(order));
            },
            new ModelCheckOptions { PreemptionBound = bound });

        var expected = new HashSet<string>();
        for (int mask = 0; mask < 1 << (2 * Each); mask++)
        {
            string order = string.Concat(Enumerable.Range(0, 2 * Each).Select(i => (mask >> i) & 1));
            if (order.Count(c => c == '1') == Each && Preemptions(order) <= bound)
            {
                expected.Add(order);
            }
        }

        Assert.Equal(ModelVerdict.Bounded, result.Verdict);
        Assert.Subset(found, expected);
        Assert.Subset(expected, found);
    }

    [Fact]
    public void PreemptionBound_ThreeTasks_FindsTheViolationThatNeedsNoPreemption()
    {
        // Found by review: T2 stores y, T1 reads y then x, T0 stores x. Running T2, T1, T0 to their ends
        // one after another (no preemption) shows a == 1 && b == 0; a bounded search must reach it at bound 0.
        ModelProgram program = (scheduler, sink) =>
        {
            var x = new Shared(scheduler, 0);
            var y = new Shared(scheduler, 1);
            long a = -1, b = -1;
            Run(scheduler, 3, t =>
            {
                switch (t)
                {
                    case 0:
                        x.Store(1);
                        break;
                    case 1:
                        a = y.Load();
                        b = x.Load();
                        break;
                    default:
                        y.Store(1);
                        break;
                }
            });
            if (a == 1 && b == 0)
            {
                sink.Report(SpecProperty.Other, "y seen set, x not");
            }
        };

        ModelCheckResult bounded = ModelChecker.Explore(program, new ModelCheckOptions { PreemptionBound = 0, MinimizeCounterexample = false });
        ModelCheckResult unbounded = ModelChecker.Explore(program);

        Assert.Equal(ModelVerdict.Violation, bounded.Verdict);
        Assert.Equal(0, unbounded.Counterexample!.Preemptions);
        Assert.True(unbounded.Counterexample.Minimal);
    }

    [Fact]
    public void ProgramWhoseReplayEndsEarly_IsRefusedAsNondeterministic()
    {
        // Found by review: a second phase only on the first run; the replay ends before its prefix does.
        int runs = 0;
        Assert.Throws<NondeterministicProgramException>(() => ModelChecker.Explore((scheduler, sink) =>
        {
            var x = new Shared(scheduler, 0);
            Run(scheduler, 2, _ => x.Increment());
            if (runs++ == 0)
            {
                Run(scheduler, 2, _ => x.Increment());
            }
        }));
    }

    /// <summary>Switches away from a task that still has increments to make (its first step, which only
    /// starts it, may come before the other task's increments without counting).</summary>
    private static int Preemptions(string order)
    {
        int preemptions = 0;
        for (int i = 1; i < order.Length; i++)
        {
            if (order[i] != order[i - 1] && order[(i - 1)..].Contains(order[i - 1], StringComparison.Ordinal) && order[i..].Contains(order[i - 1], StringComparison.Ordinal))
            {
                preemptions++;
            }
        }

        return preemptions;
    }

    [Fact]
    public void WaitWithoutItsLocation_IsRefused()
    {
        // Unnamed, the waiting step would look independent of the write that ends the wait.
        ModelCheckResult result = ModelChecker.Explore((scheduler, sink) =>
            Run(scheduler, 1, _ => scheduler.WaitUntil(() => true, giveUp: null)));

        Assert.Equal(SpecProperty.UnhandledException, result.Counterexample?.Violation.Property);
        Assert.Contains("WaitingOn", result.Counterexample!.Violation.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgramThatDependsOnSomethingElse_IsRefusedAsNondeterministic()
    {
        // Which variable the task touches depends on a counter outside the program: the replayed prefix
        // accesses something else than it did, which the checker must refuse rather than trust.
        int runs = 0;
        Assert.Throws<NondeterministicProgramException>(() => ModelChecker.Explore((scheduler, sink) =>
        {
            int variable = runs++;
            var x = new Shared(scheduler, variable);
            var y = new Shared(scheduler, 100);
            Run(scheduler, 2, t =>
            {
                if (t == 0)
                {
                    x.Increment();
                }

                y.Increment();
            });
        }));
    }

    [Fact]
    public void TraceText_RoundTrips_AndRejectsGarbage()
    {
        var trace = new ModelTrace([new(0, 1), new(2, -1), new(1, 0)]);
        Assert.Equal(trace.Decisions, ModelTrace.Parse(trace.Serialize("a header")).Decisions);
        Assert.Throws<FormatException>(() => ModelTrace.Parse("1 x:2"));
    }
}
