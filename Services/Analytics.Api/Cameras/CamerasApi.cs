using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;

namespace Analytics.Api.Cameras;

/// <summary>A camera as a client sends it; the organization comes from the API key, the id from the URL.</summary>
public sealed record CameraRequest(string SiteId, string Name, string? Description = null, int? OfflineAfterSeconds = null);

/// <summary>
/// The caller's cameras. Every query is scoped to the organization of the API key. A camera names
/// an existing site of the same organization; one that still has zones cannot be deleted, and
/// moving it to another site moves its zones with it, since they are drawn in its image.
/// </summary>
public static class CamerasApi
{
    private const string Resource = "camera";
    private const string Select = "SELECT camera_id, site_id, name, description, offline_after_seconds FROM cameras";

    public static IEndpointRouteBuilder MapCamerasApi(this IEndpointRouteBuilder app)
    {
        var cameras = app.MapGroup("/v1/cameras").WithTags("Cameras").RequireAuthorization();

        cameras.MapGet("/", ListAsync).WithName("ListCameras").WithSummary("The organization's cameras, optionally of one site");
        cameras.MapGet("/{cameraId}", GetAsync).WithName("GetCamera").WithSummary("One camera");
        cameras.MapPut("/{cameraId}", PutAsync).WithName("PutCamera").WithSummary("Create or replace a camera at an existing site");
        cameras.MapDelete("/{cameraId}", DeleteAsync).WithName("DeleteCamera").WithSummary("Delete a camera that has no zones");
        return app;
    }

    public static async Task<Ok<Camera[]>> ListAsync(HttpContext context, NpgsqlDataSource dataSource, string? siteId)
    {
        var orgId = context.User.OrgId();
        await using var command = dataSource.CreateCommand($"{Select} WHERE org_id = $1 AND ($2::text IS NULL OR site_id = $2) ORDER BY site_id, camera_id");
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)siteId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        var cameras = new List<Camera>();
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        while (await reader.ReadAsync(context.RequestAborted))
        {
            cameras.Add(Read(reader, orgId));
        }
        return TypedResults.Ok(cameras.ToArray());
    }

    public static async Task<Results<Ok<Camera>, ProblemHttpResult>> GetAsync(HttpContext context, NpgsqlDataSource dataSource, string cameraId)
    {
        var orgId = context.User.OrgId();
        await using var command = dataSource.CreateCommand($"{Select} WHERE org_id = $1 AND camera_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = cameraId });
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        return await reader.ReadAsync(context.RequestAborted)
            ? TypedResults.Ok(Read(reader, orgId))
            : Problems.NotFound(Resource, cameraId);
    }

    public static async Task<Results<Ok<Camera>, Created<Camera>, ProblemHttpResult>> PutAsync(
        HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock, string cameraId, CameraRequest request)
    {
        var camera = new Camera
        {
            OrgId = context.User.OrgId(),
            CameraId = cameraId,
            SiteId = request.SiteId,
            Name = request.Name,
            Description = request.Description,
            OfflineAfterSeconds = request.OfflineAfterSeconds,
        };
        var problems = ContractValidator.Validate(camera, clock);
        if (problems.Count > 0)
        {
            return Problems.Invalid(Resource, problems);
        }

        var cancellationToken = context.RequestAborted;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        bool created;
        await using (var upsert = new NpgsqlCommand(
            """
            INSERT INTO cameras (org_id, camera_id, site_id, name, description, offline_after_seconds) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id, camera_id) DO UPDATE
                SET site_id = excluded.site_id, name = excluded.name, description = excluded.description,
                    offline_after_seconds = excluded.offline_after_seconds, updated_at = now()
            RETURNING (xmax = 0)
            """, connection, transaction))
        {
            upsert.Parameters.Add(new NpgsqlParameter { Value = camera.OrgId });
            upsert.Parameters.Add(new NpgsqlParameter { Value = camera.CameraId });
            upsert.Parameters.Add(new NpgsqlParameter { Value = camera.SiteId });
            upsert.Parameters.Add(new NpgsqlParameter { Value = camera.Name });
            upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)camera.Description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)camera.OfflineAfterSeconds ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            try
            {
                created = (bool)(await upsert.ExecuteScalarAsync(cancellationToken))!;
            }
            catch (PostgresException exception) when (exception.Violates(ForeignKeys.CameraSite))
            {
                return Problems.Invalid(Resource, "$.siteId", $"must name a site of your organization; there is no site '{camera.SiteId}'");
            }
        }

        // The foreign key has moved the camera's zones to its new site; their documents follow, and
        // the new updated_at makes the rule services reload them. Unmoved zones are left untouched
        // so an ordinary edit of the camera does not reload every zone.
        await using (var zones = new NpgsqlCommand(
            """
            UPDATE zones SET document = jsonb_set(document, '{siteId}', to_jsonb(site_id)), updated_at = now()
            WHERE org_id = $1 AND camera_id = $2 AND document->>'siteId' IS DISTINCT FROM site_id
            """, connection, transaction))
        {
            zones.Parameters.Add(new NpgsqlParameter { Value = camera.OrgId });
            zones.Parameters.Add(new NpgsqlParameter { Value = camera.CameraId });
            await zones.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return created ? TypedResults.Created($"/v1/cameras/{Uri.EscapeDataString(cameraId)}", camera) : TypedResults.Ok(camera);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, NpgsqlDataSource dataSource, string cameraId)
    {
        var orgId = context.User.OrgId();
        await using var command = dataSource.CreateCommand("DELETE FROM cameras WHERE org_id = $1 AND camera_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = cameraId });
        try
        {
            return await command.ExecuteNonQueryAsync(context.RequestAborted) > 0 ? TypedResults.NoContent() : Problems.NotFound(Resource, cameraId);
        }
        catch (PostgresException exception) when (exception.Violates(ForeignKeys.ZoneCamera))
        {
            var zones = await Problems.DescribeReferencesAsync(
                dataSource,
                "SELECT zone_id, count(*) OVER () FROM zones WHERE org_id = $1 AND camera_id = $2 ORDER BY zone_id LIMIT 10",
                orgId, cameraId, "zone", "zones", context.RequestAborted);
            return Problems.Conflict(
                "The camera still has zones; nothing was changed",
                $"Camera '{cameraId}' still has {zones}. Delete them first.");
        }
    }

    private static Camera Read(NpgsqlDataReader reader, string orgId) => new()
    {
        OrgId = orgId,
        CameraId = reader.GetString(0),
        SiteId = reader.GetString(1),
        Name = reader.GetString(2),
        Description = reader.IsDBNull(3) ? null : reader.GetString(3),
        OfflineAfterSeconds = reader.IsDBNull(4) ? null : reader.GetInt32(4),
    };
}
