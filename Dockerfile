# syntax=docker/dockerfile:1
# Every image of the platform, one per service, from this one file: which service is a build
# argument. The build context is the repository root; docker compose and the AppHost's manifest
# pass the arguments and the target (a web service, or the migrations job). By hand:
#   docker build --build-arg SERVICE_PROJECT=Services/Analytics.Fusion --build-arg SERVICE_ASSEMBLY=Analytics.Fusion -t analytics/fusion .
#   docker build --target job --build-arg SERVICE_PROJECT=Services/Analytics.Migrations --build-arg SERVICE_ASSEMBLY=Analytics.Migrations -t analytics/migrations .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The service's project folder, and its assembly name (the project file's name).
ARG SERVICE_PROJECT
ARG SERVICE_ASSEMBLY
WORKDIR /src
# The source tree as committed, minus what .dockerignore leaves out: build output (so a developer's
# bin/ and obj/ cannot leak into an image), tests, benchmarks, the AppHost and the simulator. One
# list for every service instead of one per service: dotnet publish builds only the service's
# project and what it references, so the other sources are read by nothing and reach no image.
# DeploymentFilesTests checks that .dockerignore leaves in every project each service references
# and every Directory.Build.props above it, so a new reference cannot break an image unnoticed.
COPY . .
# Framework-dependent (the runtime image carries .NET). The service's native launcher is renamed to
# a name the same in every image, because ENTRYPOINT cannot take a build argument; the launcher
# finds its assembly by the name built into it. The package cache mount keeps rebuilds from
# downloading again.
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    : "${SERVICE_PROJECT:?pass --build-arg SERVICE_PROJECT, e.g. Services/Analytics.Fusion}" \
      "${SERVICE_ASSEMBLY:?pass --build-arg SERVICE_ASSEMBLY, e.g. Analytics.Fusion}" \
 && dotnet publish "$SERVICE_PROJECT" -c Release -o /out/app \
 && mv "/out/app/$SERVICE_ASSEMBLY" /out/app/service \
 && dotnet publish Services/Analytics.HealthProbe -c Release -o /out/probe -p:UseAppHost=false

# Ubuntu chiseled: no shell, no package manager, only what .NET needs. The -extra variant adds ICU
# and tzdata, which zone schedules (IANA time zones) need.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra AS runtime
WORKDIR /app
COPY --from=build /out/app ./
# The image's own app user is 1654; 65532 is the unprivileged user the platform runs as everywhere.
# Nothing in the image belongs to it (COPY makes root the owner), so it can change none of its files.
USER 65532:65532
ENTRYPOINT ["/app/service"]

# The migrations job: it runs to completion and serves nothing, so there is no /health to probe.
# Compose starts the services only after it exited with 0 (service_completed_successfully).
FROM runtime AS job
HEALTHCHECK NONE

# A web service; the last stage, so a build without --target makes one.
FROM runtime AS service
COPY --from=build /out/probe /probe/
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
# No shell or curl in a chiseled image: the probe is a small .NET program. Its own timeout (4 s)
# is below Docker's (5 s) so a hung service is reported, and above the service's own per-check
# limit (Service:HealthCheckTimeoutSeconds, 3 s) so a slow dependency answers 503, not silence.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/share/dotnet/dotnet", "/probe/Analytics.HealthProbe.dll", "http://127.0.0.1:8080/health", "4"]
