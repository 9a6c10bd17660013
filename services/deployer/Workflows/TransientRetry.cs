using Dapr.Workflow;
using ModelPlatform.Deployer.Provisioning;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// Calls an activity that acts through the provisioner, trying again with backoff (durable timers,
/// so the waits replay) while the provisioner reports itself briefly unavailable. A refusal, or
/// unavailability that outlasts the attempts, reaches the workflow as the task's failure.
/// </summary>
/// <remarks>
/// Dapr's <see cref="WorkflowRetryPolicy"/> retries every failure alike, refusals included, so the
/// workflow decides itself, from the failure's type.
/// </remarks>
internal static class TransientRetry
{
    /// <summary>
    /// The longest the waits between attempts add up to: an API server restarting, or a brownout of
    /// its etcd, is over in minutes, and a revision failed by one would stay failed until someone
    /// changes the deployment again.
    /// </summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>Attempts in all: waits of 1, 2, 4, 8 and 16 s, then of 30 s while they fit in <see cref="Budget"/>.</summary>
    public static int MaxAttempts { get; } = CountAttempts();

    public static async Task<T> CallRetryingTransientAsync<T>(this WorkflowContext context, string activity, object input)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await context.CallActivityAsync<T>(activity, input);
            }
            catch (WorkflowTaskFailedException failed) when (attempt < MaxAttempts && IsTransient(failed.FailureDetails))
            {
                await context.CreateTimer(Delay(attempt));
            }
        }
    }

    /// <summary>
    /// Whether the activity failed because the provisioner was briefly unavailable. Compared by name:
    /// both engines record the exception's full name, and Dapr's <c>IsCausedBy</c> resolves it with
    /// <c>Type.GetType</c>, which finds no type of this assembly.
    /// </summary>
    public static bool IsTransient(WorkflowTaskFailureDetails failure) =>
        string.Equals(failure?.ErrorType, typeof(ProvisionerUnavailableException).FullName, StringComparison.Ordinal);

    private static TimeSpan Delay(int attempt)
    {
        var delay = FirstDelay * Math.Pow(2, Math.Min(attempt - 1, 30));
        return delay < MaxDelay ? delay : MaxDelay;
    }

    private static int CountAttempts()
    {
        var attempts = 1;
        for (var waited = TimeSpan.Zero; waited + Delay(attempts) <= Budget; attempts++)
        {
            waited += Delay(attempts);
        }

        return attempts;
    }
}
