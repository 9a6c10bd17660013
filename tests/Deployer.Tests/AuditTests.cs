using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Every accepted change is in the audit trail with who, when, before and after, revision and outcome; nothing else is.</summary>
public sealed class AuditTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private object Variant(string name) => deployer.ModelVariant(env: new() { ["VARIANT"] = name });

    [Fact]
    public async Task Every_kind_of_change_is_in_the_history_newest_first_with_before_after_revision_and_outcome()
    {
        using (var created = await deployer.CreateAsync("audited", cancellationToken: Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }

        await deployer.WaitForReadyAsync("audited", Ct);
        await ChangeAsync(() => deployer.Client.PutAsJsonAsync("/v1/deployments/audited", new { stable = deployer.ModelVariant(), canary = Variant("canary") }, Ct), 2);
        await ChangeAsync(() => deployer.Client.PutAsJsonAsync("/v1/deployments/audited/traffic", new { canary = 30 }, Ct), 3);
        await ChangeAsync(() => deployer.Client.PostAsync("/v1/deployments/audited/promote", null, Ct), 4);
        await ChangeAsync(() => deployer.Client.PutAsJsonAsync("/v1/deployments/audited", new { stable = Variant("canary"), canary = Variant("second") }, Ct), 5);
        await ChangeAsync(() => deployer.Client.PostAsync("/v1/deployments/audited/rollback", null, Ct), 6);
        (await deployer.Client.DeleteAsync("/v1/deployments/audited", Ct)).Dispose();
        await deployer.WaitForGoneAsync("audited", Ct);

        var history = await deployer.SettledHistoryAsync("audited", 7, Ct);

        Assert.Equal(
            [AuditActions.Delete, AuditActions.Rollback, AuditActions.Update, AuditActions.Promote, AuditActions.Traffic, AuditActions.Update, AuditActions.Create],
            history.Select(entry => entry.Action));
        Assert.Equal([7L, 6, 5, 4, 3, 2, 1], history.Select(entry => entry.Revision));
        Assert.All(history, entry => Assert.Equal(("audited", "test-admin", AuditOutcomes.Succeeded), (entry.Deployment, entry.Actor, entry.Outcome.Status)));
        Assert.Equal(history.Select(entry => entry.Id).OrderDescending(), history.Select(entry => entry.Id));
        Assert.Equal(history.Select(entry => entry.Time).OrderDescending(), history.Select(entry => entry.Time));

        var (delete, rollback, addCanary, promote, traffic, update, create) = (history[0], history[1], history[2], history[3], history[4], history[5], history[6]);
        Assert.Null(create.Before);
        Assert.Equal(deployer.AddMulModel, create.After!.Stable!.Model!.Uri);
        Assert.Null(create.After.Canary);
        Assert.Null(update.Before!.Canary);
        Assert.Equal("canary", update.After!.Canary!.Env!["VARIANT"]);
        Assert.Equal((0, 30), (traffic.Before!.Traffic!.Canary, traffic.After!.Traffic!.Canary));
        Assert.Equal(("canary", null), (promote.After!.Stable!.Env!["VARIANT"], promote.After.Canary));
        Assert.Equal(30, promote.Before!.Traffic!.Canary);
        Assert.Equal("second", addCanary.After!.Canary!.Env!["VARIANT"]);
        Assert.Equal(("second", null), (rollback.Before!.Canary!.Env!["VARIANT"], rollback.After!.Canary));
        Assert.Equal("canary", delete.Before!.Stable!.Env!["VARIANT"]);
        Assert.Null(delete.After);
    }

    [Fact]
    public async Task A_revision_that_fails_records_the_reason()
    {
        (await deployer.CreateAsync("audit-broken", deployer.ModelVariant(uri: deployer.BrokenModel), cancellationToken: Ct)).Dispose();

        var entry = Assert.Single(await deployer.SettledHistoryAsync("audit-broken", 1, Ct));

        Assert.Equal(AuditOutcomes.Failed, entry.Outcome.Status);
        Assert.Contains("exited with code 3 (the model failed to load)", entry.Outcome.Reason, StringComparison.Ordinal);
        Assert.NotNull(entry.Outcome.Time);
    }

    [Fact]
    public async Task Identical_writes_and_refused_requests_record_nothing()
    {
        (await deployer.CreateAsync("quiet", cancellationToken: Ct)).Dispose();
        await deployer.WaitForReadyAsync("quiet", Ct);

        using var sameCreate = await deployer.CreateAsync("quiet", cancellationToken: Ct);
        using var samePut = await deployer.Client.PutAsJsonAsync("/v1/deployments/quiet", new { stable = deployer.ModelVariant() }, Ct);
        using var invalid = await deployer.Client.PutAsJsonAsync("/v1/deployments/quiet", new { stable = deployer.ModelVariant(replicas: -1) }, Ct);
        using var stale = new HttpRequestMessage(HttpMethod.Put, "/v1/deployments/quiet") { Content = JsonContent.Create(new { stable = deployer.ModelVariant(replicas: 2) }) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"9\""));
        using var staleAnswer = await deployer.Client.SendAsync(stale, Ct);
        using var otherCreate = await deployer.CreateAsync("quiet", deployer.ModelVariant(replicas: 2), cancellationToken: Ct);
        using var promote = await deployer.Client.PostAsync("/v1/deployments/quiet/promote", null, Ct);
        using var traffic = await deployer.Client.PutAsJsonAsync("/v1/deployments/quiet/traffic", new { canary = 10 }, Ct);
        using var sameTraffic = await deployer.Client.PutAsJsonAsync("/v1/deployments/quiet/traffic", new { canary = 0 }, Ct);

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.PreconditionFailed, HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.BadRequest, HttpStatusCode.OK],
            new[] { sameCreate, samePut, invalid, staleAnswer, otherCreate, promote, traffic, sameTraffic }.Select(response => response.StatusCode));
        var history = await deployer.SettledHistoryAsync("quiet", 1, Ct);
        Assert.Equal(AuditActions.Create, Assert.Single(history).Action);
        Assert.Single((await deployer.PageAsync("/v1/audit?deployment=quiet", Ct)).Items);
    }

    [Fact]
    public async Task The_audit_trail_filters_by_deployment_action_actor_and_since_and_pages_newest_first()
    {
        (await deployer.CreateAsync("filtered", deployer.ModelVariant(replicas: 0), deployer.ModelVariant(replicas: 0, env: new() { ["V"] = "2" }), Ct)).Dispose();
        foreach (var weight in new[] { 10, 20, 30 })
        {
            using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/filtered/traffic", new { canary = weight }, Ct);
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        }

        (await deployer.CreateAsync("filtered-later", deployer.ModelVariant(replicas: 0), cancellationToken: Ct)).Dispose();

        var all = (await deployer.PageAsync("/v1/audit?deployment=filtered", Ct)).Items;
        Assert.Equal([AuditActions.Traffic, AuditActions.Traffic, AuditActions.Traffic, AuditActions.Create], all.Select(entry => entry.Action));
        Assert.Equal([30, 20, 10], all.Take(3).Select(entry => entry.After!.Traffic!.Canary));

        var traffic = (await deployer.PageAsync("/v1/audit?deployment=filtered&action=traffic", Ct)).Items;
        Assert.Equal(all.Take(3).Select(entry => entry.Id), traffic.Select(entry => entry.Id));
        Assert.Equal(all.Select(entry => entry.Id), (await deployer.PageAsync("/v1/audit?deployment=filtered&actor=test-admin", Ct)).Items.Select(entry => entry.Id));
        Assert.Empty((await deployer.PageAsync("/v1/audit?actor=somebody-else", Ct)).Items);

        var later = Assert.Single((await deployer.PageAsync("/v1/audit?deployment=filtered-later", Ct)).Items);
        var since = Uri.EscapeDataString(later.Time.ToString("O", CultureInfo.InvariantCulture));
        var recent = (await deployer.PageAsync($"/v1/audit?since={since}", Ct)).Items;
        Assert.Contains(recent, entry => entry.Id == later.Id);
        Assert.All(recent, entry => Assert.True(entry.Time >= later.Time));
        Assert.DoesNotContain(recent, entry => entry.Deployment == "filtered");

        var first = await deployer.PageAsync("/v1/audit?deployment=filtered&limit=3", Ct);
        var second = await deployer.PageAsync($"/v1/audit?deployment=filtered&limit=3&after={first.Next}", Ct);
        Assert.Equal(all.Select(entry => entry.Id), first.Items.Concat(second.Items).Select(entry => entry.Id));
        Assert.NotNull(first.Next);
        Assert.Null(second.Next);
        var historyPage = await deployer.PageAsync("/v1/deployments/filtered/history?limit=1", Ct);
        Assert.Equal(all[0].Id, Assert.Single(historyPage.Items).Id);
    }

    [Theory]
    [InlineData("/v1/audit?limit=0", "limit")]
    [InlineData("/v1/audit?limit=501", "limit")]
    [InlineData("/v1/audit?limit=ten", "limit")]
    [InlineData("/v1/audit?after=abc", "after")]
    [InlineData("/v1/audit?action=scale", "action")]
    [InlineData("/v1/audit?since=yesterday", "since")]
    [InlineData("/v1/deployments/any/history?limit=-1", "limit")]
    public async Task Bad_audit_queries_are_refused_naming_the_parameter(string path, string field)
    {
        using var response = await deployer.Client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await DeployerHarness.ProblemAsync(response, Ct))["errors"]!.AsObject().ContainsKey(field));
    }

    [Fact]
    public async Task The_history_of_a_name_never_used_is_404()
    {
        using var response = await deployer.Client.GetAsync("/v1/deployments/never-deployed/history", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task ChangeAsync(Func<Task<HttpResponseMessage>> send, long revision)
    {
        using var response = await send();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await deployer.WaitForAsync("audited", d => d.Status.ObservedRevision == revision && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
    }
}
