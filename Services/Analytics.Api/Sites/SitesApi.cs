using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Api.Sites;

/// <summary>A site as a client sends it; the organization comes from the API key, the id from the URL.</summary>
public sealed record SiteRequest(string Name, string TimeZone, string? Address = null, string? Description = null);

/// <summary>
/// The caller's sites, the places its cameras are at. Every query is scoped to the organization of
/// the API key, so one organization never sees or changes another's. A site that still has cameras
/// cannot be deleted, so no camera is ever left without its site.
/// </summary>
public static class SitesApi
{
    private const string Resource = "site";
    private const string Select = "SELECT site_id, name, time_zone, address, description FROM sites";

    public static IEndpointRouteBuilder MapSitesApi(this IEndpointRouteBuilder app)
    {
        var sites = app.MapGroup("/v1/sites").WithTags("Sites").RequireAuthorization();

        sites.MapGet("/", ListAsync).WithName("ListSites").WithSummary("The organization's sites");
        sites.MapGet("/{siteId}", GetAsync).WithName("GetSite").WithSummary("One site");
        sites.MapPut("/{siteId}", PutAsync).WithName("PutSite").WithSummary("Create or replace a site");
        sites.MapDelete("/{siteId}", DeleteAsync).WithName("DeleteSite").WithSummary("Delete a site that has no cameras");
        return app;
    }

    public static async Task<Ok<Site[]>> ListAsync(HttpContext context, NpgsqlDataSource dataSource)
    {
        var orgId = context.User.OrgId();
        await using var command = dataSource.CreateCommand($"{Select} WHERE org_id = $1 ORDER BY site_id");
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        var sites = new List<Site>();
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        while (await reader.ReadAsync(context.RequestAborted))
        {
            sites.Add(Read(reader, orgId));
        }
        return TypedResults.Ok(sites.ToArray());
    }

    public static async Task<Results<Ok<Site>, ProblemHttpResult>> GetAsync(HttpContext context, NpgsqlDataSource dataSource, string siteId)
    {
        var orgId = context.User.OrgId();
        await using var command = dataSource.CreateCommand($"{Select} WHERE org_id = $1 AND site_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = siteId });
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        return await reader.ReadAsync(context.RequestAborted)
            ? TypedResults.Ok(Read(reader, orgId))
            : Problems.NotFound(Resource, siteId);
    }

    public static async Task<Results<Ok<Site>, Created<Site>, ProblemHttpResult>> PutAsync(
        HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock, string siteId, SiteRequest request)
    {
        var site = new Site
        {
            OrgId = context.User.OrgId(),
            SiteId = siteId,
            Name = request.Name,
            TimeZone = request.TimeZone,
            Address = request.Address,
            Description = request.Description,
        };
        var problems = ContractValidator.Validate(site, clock);
        if (problems.Count > 0)
        {
            return Problems.Invalid(Resource, problems);
        }

        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO sites (org_id, site_id, name, time_zone, address, description) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id, site_id) DO UPDATE
                SET name = excluded.name, time_zone = excluded.time_zone, address = excluded.address,
                    description = excluded.description, updated_at = now()
            RETURNING (xmax = 0)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = site.OrgId });
        command.Parameters.Add(new NpgsqlParameter { Value = site.SiteId });
        command.Parameters.Add(new NpgsqlParameter { Value = site.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = site.TimeZone });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)site.Address ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)site.Description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        var created = (bool)(await command.ExecuteScalarAsync(context.RequestAborted))!;
        return created ? TypedResults.Created($"/v1/sites/{Uri.EscapeDataString(siteId)}", site) : TypedResults.Ok(site);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, NpgsqlDataSource dataSource, string siteId)
    {
        var orgId = context.User.OrgId();
        await using var command = dataSource.CreateCommand("DELETE FROM sites WHERE org_id = $1 AND site_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = siteId });
        try
        {
            return await command.ExecuteNonQueryAsync(context.RequestAborted) > 0 ? TypedResults.NoContent() : Problems.NotFound(Resource, siteId);
        }
        catch (PostgresException exception) when (exception.Violates(ForeignKeys.CameraSite))
        {
            var cameras = await Problems.DescribeReferencesAsync(
                dataSource,
                "SELECT camera_id, count(*) OVER () FROM cameras WHERE org_id = $1 AND site_id = $2 ORDER BY camera_id LIMIT 10",
                orgId, siteId, "camera", "cameras", context.RequestAborted);
            return Problems.Conflict(
                "The site still has cameras; nothing was changed",
                $"Site '{siteId}' still has {cameras}. Delete them or move them to another site first.");
        }
    }

    private static Site Read(NpgsqlDataReader reader, string orgId) => new()
    {
        OrgId = orgId,
        SiteId = reader.GetString(0),
        Name = reader.GetString(1),
        TimeZone = reader.GetString(2),
        Address = reader.IsDBNull(3) ? null : reader.GetString(3),
        Description = reader.IsDBNull(4) ? null : reader.GetString(4),
    };
}
