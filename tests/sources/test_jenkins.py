"""Jenkinsfiles: Groovy's string forms, stages as jobs, sh steps as scripts at their exact lines,
Docker agents and the Docker Pipeline plugin as containers, and what cannot be read as errors."""

from __future__ import annotations

import random
from pathlib import Path, PurePosixPath

import pytest

from hullguard.config import Config
from hullguard.discovery import CI, classify_name
from hullguard.engine import ScanRequest, scan
from hullguard.sources.ci import Job, Pipeline
from hullguard.sources.jenkins import load_jenkinsfile


def _pipeline(text: str) -> Pipeline:
    result = load_jenkinsfile(text, "Jenkinsfile")
    assert result.errors == (), result.errors
    assert result.pipeline is not None
    return result.pipeline


def _job(pipeline: Pipeline, name: str) -> Job:
    return next(job for job in pipeline.jobs if job.name == name)


def _commands(job: Job) -> list[tuple[str, tuple[str, ...], int, int]]:
    return [
        (c.name, c.args, c.line, c.column)
        for step in job.steps
        if step.script is not None
        for c in step.script.commands
    ]


DECLARATIVE = """\
pipeline {
    agent any
    environment {
        REGISTRY = 'registry.example.com'
        DOCKER_TLS_CERTDIR = ''
    }
    stages {
        stage('Build') {
            steps {
                sh 'make build'
                sh "docker build -t ${REGISTRY}/app:${env.BUILD_ID} ."
                sh '''
                    docker tag app \\
                        app:latest
                    echo "it's \\$HOME"
                '''
                sh(script: \"\"\"
                    docker push \\$REGISTRY/app:${env.BUILD_ID}
                \"\"\", returnStatus: true)
                sh script: 'echo named', label: 'named'
                def head = sh(returnStdout: true, script: 'git rev-parse HEAD').trim()
                bat 'dir'
            }
        }
        stage('Checks') {
            parallel {
                stage('Unit') { steps { sh 'make test' } }
                stage("Lint") {
                    steps { sh 'make lint' }
                }
            }
        }
    }
    post {
        always { sh 'make clean' }
    }
}
"""


def test_declarative_stages_are_jobs_with_their_scripts() -> None:
    pipeline = _pipeline(DECLARATIVE)
    assert pipeline.platform == "jenkins"
    assert [(j.name, j.location.line) for j in pipeline.jobs] == [
        ("pipeline", 1),
        ("Build", 8),
        ("Checks", 25),
        ("Unit", 27),
        ("Lint", 28),
    ]
    assert _commands(_job(pipeline, "Build")) == [
        ("make", ("build",), 10, 21),
        ("docker", ("build", "-t", "${REGISTRY}/app:${env.BUILD_ID}", "."), 11, 21),
        ("docker", ("tag", "app", "app:latest"), 13, 21),
        ("echo", ("it's $HOME",), 15, 21),
        ("docker", ("push", "$REGISTRY/app:${env.BUILD_ID}"), 18, 21),
        ("echo", ("named",), 20, 29),
        ("git", ("rev-parse", "HEAD"), 21, 60),
    ]
    assert _commands(_job(pipeline, "Unit")) == [("make", ("test",), 27, 45)]
    assert _commands(_job(pipeline, "Lint")) == [("make", ("lint",), 29, 33)]
    assert _commands(_job(pipeline, "pipeline")) == [("make", ("clean",), 35, 22)]
    assert _job(pipeline, "Checks").steps == ()


def test_environment_is_inherited_by_the_stages() -> None:
    pipeline = _pipeline(DECLARATIVE)
    variables = [(v.name, v.value, v.location.line) for v in _job(pipeline, "Lint").variables]
    assert variables == [
        ("REGISTRY", "registry.example.com", 4),
        ("DOCKER_TLS_CERTDIR", "", 5),
    ]


def test_docker_agents_are_job_containers() -> None:
    text = """\
pipeline {
    agent {
        docker {
            image 'maven:3.9'
            args '-v /var/run/docker.sock:/var/run/docker.sock --privileged'
        }
    }
    stages {
        stage('Node') {
            agent { docker 'node:22' }
            steps { sh 'npm test' }
        }
    }
}
"""
    pipeline = _pipeline(text)
    (top,) = _job(pipeline, "pipeline").containers
    assert top.image is not None
    assert (top.image.value, top.image.location.line) == ("maven:3.9", 4)
    assert top.privileged is not None and top.privileged.value is True
    assert [(m.source, m.target, m.location.line, m.location.column) for m in top.mounts] == [
        ("/var/run/docker.sock", "/var/run/docker.sock", 5, 22)
    ]
    (node,) = _job(pipeline, "Node").containers
    assert node.image is not None and node.image.value == "node:22"
    assert node.name == "agent of stage `Node`"


def test_the_docker_pipeline_plugin() -> None:
    text = """\
node {
    stage('Build') {
        def app = docker.build("shop/web:${env.BUILD_ID}")
        docker.image('postgres:16')
            .withRun('-e POSTGRES_PASSWORD=x -p 5432:5432') { db ->
            docker.image('maven:3.9').inside("-v ${env.HOME}/.m2:/root/.m2") {
                sh 'mvn verify'
            }
        }
        docker.withRegistry('https://registry.example.com', 'creds') {
            app.push('latest')
        }
    }
}
"""
    job = _job(_pipeline(text), "Build")
    assert [(s.uses.value, s.location.line) for s in job.steps if s.uses is not None] == [
        ("docker.build", 3),
        ("docker.push", 11),
    ]
    images = [(c.image.value, c.name) for c in job.containers if c.image is not None]
    assert images == [
        ("postgres:16", "`docker.image('postgres:16').withRun` in stage `Build`"),
        ("maven:3.9", "`docker.image('maven:3.9').inside` in stage `Build`"),
    ]
    maven = job.containers[1]
    assert [(m.source, m.target) for m in maven.mounts] == [("${env.HOME}/.m2", "/root/.m2")]
    assert _commands(job) == [("mvn", ("verify",), 7, 21)]


def test_with_env_and_with_credentials() -> None:
    text = """\
node {
    stage('Deploy') {
        withEnv(['DOCKER_HOST=tcp://docker:2375', 'MODE=ci']) {
            withCredentials([string(credentialsId: 'token', variable: 'TOKEN')]) {
                sh 'docker login -u ci -p "$TOKEN" registry.example.com'
            }
        }
    }
}
"""
    job = _job(_pipeline(text), "Deploy")
    assert [(v.name, v.value, v.location.line) for v in job.variables] == [
        ("DOCKER_HOST", "tcp://docker:2375", 3),
        ("MODE", "ci", 3),
    ]
    assert _commands(job)[0][:2] == (
        "docker",
        ("login", "-u", "ci", "-p", "$TOKEN", "registry.example.com"),
    )


def test_docker_run_in_a_step_is_a_container() -> None:
    text = "node {\n  sh 'docker run --privileged -v /:/host alpine:3.20 true'\n}\n"
    result = load_jenkinsfile(text, "ci/Jenkinsfile")
    (spec,) = result.containers
    assert spec.image is not None and spec.image.value == "alpine:3.20"
    assert spec.privileged is not None and spec.privileged.location.line == 2


def test_comments_are_left_out() -> None:
    text = """\
// sh 'docker build .'
/* stage('Hidden') {
   sh 'docker push x' } */
node { stage('Seen') { sh 'echo "// not a comment"' } }
"""
    pipeline = _pipeline(text)
    assert [j.name for j in pipeline.jobs] == ["Seen"]
    assert _commands(_job(pipeline, "Seen")) == [("echo", ("// not a comment",), 4, 28)]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("node {\n  sh 'echo\n}\n", "a string opened with ' is never closed", 2),
        ("node {\n  sh '''echo\n}\n", "a string opened with ''' is never closed", 2),
        ("node {\n  stage('a') {\n    sh 'x'\n  }\n", "a `{` that is never closed", 1),
        ("node {\n}\n}\n", "a `}` that closes nothing", 3),
        ("node {\n  /* open\n}\n", "a `/*` comment is never closed", 2),
        ("node {\n  sh(script: 'x'\n}\n", "`}` where `)` was expected", 3),
    ],
)
def test_what_cannot_be_read_is_an_error_with_its_line(text: str, message: str, line: int) -> None:
    result = load_jenkinsfile(text, "Jenkinsfile")
    assert [(e.message, e.line) for e in result.errors] == [(message, line)]
    assert result.pipeline is not None


def test_the_rest_is_read_after_an_error() -> None:
    text = "node {\n  stage('a') { sh 'make' }\n  sh 'echo\n}\n"
    result = load_jenkinsfile(text, "Jenkinsfile")
    assert [e.line for e in result.errors] == [3]
    assert result.pipeline is not None
    assert _commands(_job(result.pipeline, "a")) == [("make", (), 2, 20)]


def test_deep_nesting_is_bounded() -> None:
    text = "node " + "{ " * 5000 + "}" * 5000
    result = load_jenkinsfile(text, "Jenkinsfile")
    assert [e.message for e in result.errors] == [
        "nested deeper than 100 levels; the rest is not read"
    ]


def test_no_input_raises() -> None:
    generator = random.Random(7)
    alphabet = "node stage sh docker image inside ( ) { } [ ] ' \" ''' \"\"\" $ { \\ \n : , = . //"
    pieces = alphabet.split(" ")
    for _ in range(300):
        text = " ".join(generator.choice(pieces) for _ in range(generator.randint(0, 40)))
        result = load_jenkinsfile(text, "Jenkinsfile")
        assert result.pipeline is not None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Jenkinsfile", CI),
        ("ci/Jenkinsfile.release", CI),
        ("deploy.jenkinsfile", CI),
        ("JENKINSFILE", CI),
        ("Jenkinsfile_nightly", CI),
        ("jenkins.groovy", None),
        ("notjenkinsfile", None),
    ],
)
def test_discovery(name: str, kind: str | None) -> None:
    assert classify_name(PurePosixPath(name)) == kind


def test_a_scan_finds_jenkinsfiles_in_a_tree(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "Jenkinsfile").write_text(
        "pipeline {\n"
        "  agent { docker { image 'docker:27'\n"
        "    args '-v /var/run/docker.sock:/var/run/docker.sock' } }\n"
        "  stages { stage('Image') { steps {\n"
        "    sh 'docker build -t app . && docker push app'\n"
        "  } } }\n"
        "}\n"
    )
    report = scan(
        ScanRequest(
            paths=(str(tmp_path),), config=Config(select=("HG610", "HG611", "HG615"), fail_on=None)
        )
    )
    assert [(t.kind, t.path.rsplit("/", 1)[-1]) for t in report.targets] == [("ci", "Jenkinsfile")]
    found = sorted((f.rule_id, f.location.line, f.resource) for f in report.findings)
    assert found == [
        ("HG610", 5, "Image"),
        ("HG611", 5, "Image"),
        ("HG615", 3, "pipeline"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "sh " + "(" * 3000 + ")" * 3000,
        "node " + "a " * 5000,
        "x = " + "[" * 3000,
        "node " + "{ stage('a') " * 2000,
    ],
    ids=["parentheses", "words", "brackets", "stages"],
)
def test_any_nesting_is_bounded(text: str) -> None:
    result = load_jenkinsfile(text, "Jenkinsfile")
    assert result.pipeline is not None
    assert [e.message for e in result.errors] == [
        "nested deeper than 100 levels; the rest is not read"
    ]


def test_a_kubernetes_agent_pod_is_read_at_its_lines() -> None:
    text = """\
pipeline {
  agent {
    kubernetes {
      yaml '''
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - name: docker
            image: docker:27-dind
            securityContext:
              privileged: true
        '''
    }
  }
  stages { stage('Build') { steps { sh 'docker build .' } } }
}
"""
    (spec,) = _job(_pipeline(text), "pipeline").containers
    assert spec.image is not None
    assert (spec.image.value, spec.image.location.line, spec.image.location.column) == (
        "docker:27-dind",
        10,
        20,
    )
    assert spec.privileged is not None and spec.privileged.location.line == 12


def test_a_kubernetes_agent_pod_that_is_not_yaml_is_an_error() -> None:
    text = "pipeline {\n  agent { kubernetes {\n    yaml '''\n      kind: [\n    '''\n  } }\n}\n"
    result = load_jenkinsfile(text, "Jenkinsfile")
    (error,) = result.errors
    assert error.message.startswith("invalid YAML: while parsing a flow node")
    assert error.line == 6  # where the YAML ends: the string closed on line 5
