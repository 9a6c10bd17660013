using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Rollouts;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.Validation;
using ModelPlatform.Deployer.Workflows;

namespace ModelPlatform.Deployer.Changes;

/// <summary>
/// Every change a caller can make to a deployment: it is validated, checked against the deployment's
/// current state, stored with its audit entry (in one transaction) as a new revision, and handed to
/// a workflow. A change that leaves the desired state as it is stores nothing and records nothing.
/// </summary>
internal sealed partial class DeploymentChanges(
    IDeploymentStore store,
    IAuditLog audit,
    DeploymentValidator validator,
    DeploymentCoordinator coordinator,
    IOptions<DeployerOptions> options,
    TimeProvider time,
    Models.ModelPinning models)
{
    public async Task<ChangeResult> CreateAsync(DeploymentRequest request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        (request, var errors) = await PinAndValidateAsync(request, nameInPath: null, cancellationToken);
        if (errors.Count > 0)
        {
            return new ChangeResult.Invalid(errors);
        }

        var name = request.Name!;
        return await InsertAsync(NewRecord(request, name), actor, async () =>
        {
            var existing = await store.GetAsync(name, cancellationToken);
            return existing is { Record: var current } && !current.Deleting && current.Matches(request)
                ? new ChangeResult.Unchanged(current) // A retried create of the same thing: idempotent.
                : new ChangeResult.Conflict($"Deployment '{name}' already exists; PUT /v1/deployments/{name} changes it.");
        }, cancellationToken);
    }

    /// <summary>A new revision with the request's desired state; creates the deployment when it does not exist and the change is unconditional.</summary>
    public async Task<ChangeResult> ReplaceAsync(
        string name, DeploymentRequest request, RevisionCondition condition, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(condition);
        (request, var errors) = await PinAndValidateAsync(request, nameInPath: name, cancellationToken);
        if (errors.Count > 0)
        {
            return new ChangeResult.Invalid(errors);
        }

        var result = await ApplyAsync(name, AuditActions.Update, condition, actor, current => current.Matches(request) ? current : (current with
        {
            Stable = request.Stable!,
            Canary = request.Canary,
            CanaryWeight = request.Traffic?.Canary ?? 0,
            Mirror = request.Traffic?.Mirror ?? 0,
            Access = GatewayPolicy.Normalize(request.Access),
            Limits = GatewayPolicy.Normalize(request.Limits),
            Rollout = request.Rollout,
        }).PausedByReplace(current, actor, time.GetUtcNow()), cancellationToken);
        if (result is not ChangeResult.NotFound)
        {
            return result;
        }

        if (condition.RequiresExisting)
        {
            return new ChangeResult.StaleRevision(null);
        }

        return await InsertAsync(NewRecord(request, name), actor, () => Task.FromResult<ChangeResult>(
            new ChangeResult.Conflict($"Deployment '{name}' was created by another request meanwhile; read it and retry.")), cancellationToken);
    }

    public Task<ChangeResult> SetTrafficAsync(
        string name, TrafficRequest traffic, RevisionCondition condition, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(traffic);
        return ApplyAsync(name, AuditActions.Traffic, condition, actor, current =>
        {
            var errors = DeploymentValidator.ValidateTraffic(traffic, current.Canary is not null);
            if (errors.Count > 0)
            {
                return new ChangeResult.Invalid(errors);
            }

            if (current.CanaryWeight == traffic.Canary && current.Mirror == traffic.Mirror)
            {
                return current;
            }

            // Only a weight change pauses a running rollout: the mirror share is not what it moves.
            var changed = current.CanaryWeight == traffic.Canary ? current : current.PausedByWeightChange(actor, traffic.Canary, time.GetUtcNow());
            return changed with { CanaryWeight = traffic.Canary, Mirror = traffic.Mirror };
        }, cancellationToken);
    }

    /// <summary>
    /// The canary becomes the stable variant. It serves with the stable's replica count, so a promote
    /// keeps the capacity it had, unless <paramref name="request"/> names another count.
    /// </summary>
    public Task<ChangeResult> PromoteAsync(
        string name, PromoteRequest? request, RevisionCondition condition, string actor, CancellationToken cancellationToken) =>
        ApplyAsync(name, AuditActions.Promote, condition, actor, current =>
        {
            if (current.Canary is not { } canary)
            {
                return new ChangeResult.Conflict($"Deployment '{name}' has no canary to promote.");
            }

            var errors = validator.ValidatePromotion(request, canary);
            if (errors.Count > 0)
            {
                return new ChangeResult.Invalid(errors);
            }

            var promoted = canary with { Replicas = request?.Replicas ?? KeptReplicas(current.Stable.Replicas, canary) };
            return current with { Stable = promoted, Canary = null, CanaryWeight = 0, Mirror = 0 };
        }, cancellationToken);

    public Task<ChangeResult> RollbackAsync(string name, RevisionCondition condition, string actor, CancellationToken cancellationToken) =>
        ApplyAsync(name, AuditActions.Rollback, condition, actor, current => current.Canary is null
            ? new ChangeResult.Conflict($"Deployment '{name}' has no canary to roll back.")
            : current with { Canary = null, CanaryWeight = 0, Mirror = 0 }, cancellationToken);

    /// <summary>Marks the deployment for deletion; its workflow drains the routes, stops the replicas and forgets it.</summary>
    public Task<ChangeResult> DeleteAsync(string name, RevisionCondition condition, string actor, CancellationToken cancellationToken) =>
        ApplyAsync(name, AuditActions.Delete, condition, actor, current => current.Deleting ? current : current with { Deleting = true }, cancellationToken, whileDeleting: true);

    /// <summary>The request with its <c>models:/</c> URIs pinned to a digest, and every problem: the model store's and the validator's.</summary>
    private async Task<(DeploymentRequest Request, Dictionary<string, string[]> Errors)> PinAndValidateAsync(
        DeploymentRequest request, string? nameInPath, CancellationToken cancellationToken)
    {
        var (pinned, errors) = await models.PinAsync(request, nameInPath, cancellationToken);
        foreach (var (field, messages) in validator.Validate(pinned, nameInPath).Where(pair => !errors.ContainsKey(pair.Key)))
        {
            errors[field] = messages;
        }

        return (pinned, errors);
    }

    /// <summary>
    /// The stable's count, within the canary's autoscaling bounds when it has them (the count is then
    /// only where the autoscaler starts).
    /// </summary>
    private static int KeptReplicas(int stableReplicas, VariantSpec canary) =>
        canary is { MinReplicas: { } min, MaxReplicas: { } max } ? Math.Clamp(stableReplicas, min, Math.Max(min, max)) : stableReplicas;

    /// <summary>
    /// Reads the deployment, checks <paramref name="condition"/> and that it is not being deleted
    /// (unless <paramref name="whileDeleting"/>), and applies <paramref name="edit"/>: a record different from the one read becomes the next
    /// revision, recorded as <paramref name="action"/>. The write names the ETag read; when another
    /// writer came first, all of it runs again on what that writer left (so <paramref name="edit"/>
    /// must decide from its argument alone).
    /// </summary>
    private async Task<ChangeResult> ApplyAsync(
        string name, string action, RevisionCondition condition, string actor, Func<DeploymentRecord, Edit> edit, CancellationToken cancellationToken,
        bool whileDeleting = false)
    {
        try
        {
            return await ConflictRetry.RunAsync(async () =>
            {
                var stored = await store.GetAsync(name, cancellationToken);
                if (stored is null)
                {
                    return new ChangeResult.NotFound();
                }

                var current = stored.Record;
                if (!condition.Holds(current.Generation))
                {
                    return new ChangeResult.StaleRevision(current.Generation);
                }

                if (current.Deleting && !whileDeleting)
                {
                    return new ChangeResult.Conflict($"Deployment '{name}' is being deleted.");
                }

                var (next, decided) = edit(current);
                if (decided is not null)
                {
                    return decided;
                }

                if (ReferenceEquals(next, current))
                {
                    return Unchanged(current);
                }

                var now = time.GetUtcNow();
                next = next! with { Generation = current.Generation + 1, Failure = null, AcceptedAt = now };
                var entry = AuditDraft.For(action, actor, now, current, next);
                await audit.UpdateAsync(next, stored.ETag, entry, cancellationToken);
                coordinator.Reconcile(name);
                return new ChangeResult.Started(next);
            });
        }
        catch (ConcurrencyException)
        {
            return new ChangeResult.Conflict($"Deployment '{name}' is changing too fast to update; retry.");
        }
    }

    private ChangeResult Unchanged(DeploymentRecord current)
    {
        if (!current.Deleting)
        {
            return new ChangeResult.Unchanged(current);
        }

        // Only a repeated DELETE gets here; it also resumes a deletion that stalled.
        coordinator.Reconcile(current.Name);
        return new ChangeResult.Started(current);
    }

    /// <summary>Stores a new deployment with its audit entry, under the quota; <paramref name="whenTaken"/> answers when the name is taken.</summary>
    private async Task<ChangeResult> InsertAsync(
        DeploymentRecord record, string actor, Func<Task<ChangeResult>> whenTaken, CancellationToken cancellationToken)
    {
        try
        {
            var entry = AuditDraft.For(AuditActions.Create, actor, time.GetUtcNow(), null, record);
            await audit.CreateAsync(record, entry, options.Value.MaxDeployments, cancellationToken);
        }
        catch (QuotaExceededException quota)
        {
            return new ChangeResult.QuotaExceeded(quota.Used, quota.Limit);
        }
        catch (ConcurrencyException)
        {
            return await whenTaken();
        }

        coordinator.Reconcile(record.Name);
        return new ChangeResult.Started(record);
    }

    private DeploymentRecord NewRecord(DeploymentRequest request, string name) => new()
    {
        Name = name,
        Uid = Guid.NewGuid().ToString("N"),
        Stable = request.Stable!,
        Canary = request.Canary,
        CanaryWeight = request.Traffic?.Canary ?? 0,
        Mirror = request.Traffic?.Mirror ?? 0,
        Access = GatewayPolicy.Normalize(request.Access),
        Limits = GatewayPolicy.Normalize(request.Limits),
        Rollout = request.Rollout,
        CreatedAt = time.GetUtcNow(),
        AcceptedAt = time.GetUtcNow(),
    };

    /// <summary>What an edit makes of the current record: the record it wants (the same instance for no change), or the result it decided on.</summary>
    private readonly record struct Edit(DeploymentRecord? Next, ChangeResult? Decided)
    {
        public static implicit operator Edit(DeploymentRecord next) => new(next, null);

        public static implicit operator Edit(ChangeResult decided) => new(null, decided);
    }
}
