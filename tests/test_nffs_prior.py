"The embedded StyleNeRF prior and LipaintNet: the training command line, resume, shipped files, bad input."
import os
import subprocess
import sys

import pytest
import torch

from talking_heads.core import InputError, data_dir, manifest_problems, save_checkpoint
from talking_heads.nerffacespeech import lipaintnet as lp
from talking_heads.nerffacespeech import prior
from talking_heads.nerffacespeech.stylenerf import StyleNeRFGenerator


def _module_cli(module, *args, timeout=300):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def smoke_prior(tmp_path_factory):
    "A smoke prior trained by the command line (4 steps), exported with its discriminator."
    d = tmp_path_factory.mktemp("prior")
    r = _module_cli("talking_heads.nerffacespeech.prior", "--preset", "smoke", "--out", d / "run", "--device", "cpu",
                    "--export", d / "prior.safetensors")
    assert r.returncode == 0, r.stderr[-2000:]
    return d


def test_prior_cli_trains_resumes_and_exports(smoke_prior):
    G = prior.load_prior(smoke_prior / "prior.safetensors")
    assert G.meta["n_step"] == 4 and G.cfg.img_resolution == 16
    assert sorted(p.name for p in (smoke_prior / "run").glob("samples_*.png")) == ["samples_0000003.png"]
    # a second call finds the run finished and leaves it as it is
    tr = prior.train_prior(prior.PriorTrainConfig.preset("smoke"), smoke_prior / "run", "cpu", progress=False)
    assert tr.n_step == 4
    D = prior.load_prior_discriminator(smoke_prior / "prior.safetensors")
    assert D(torch.zeros(2, 3, 16, 16)).shape == (2, 1)


def test_prior_cli_starts_from_an_exported_prior(smoke_prior, tmp_path):
    src = smoke_prior / "prior.safetensors"
    r = _module_cli("talking_heads.nerffacespeech.prior", "--preset", "smoke", "--init", src, "--out", tmp_path / "run",
                    "--device", "cpu", "--export", tmp_path / "p.safetensors")
    assert r.returncode == 0, r.stderr[-2000:]
    G = prior.load_prior(tmp_path / "p.safetensors")
    assert G.meta["train_config"]["init"] == str(src) and G.meta["n_step"] == 4
    bad = _module_cli("talking_heads.nerffacespeech.prior", "--preset", "smoke", "--init", tmp_path / "none.safetensors",
                      "--out", tmp_path / "run2", "--device", "cpu")
    assert bad.returncode != 0 and "no such exported prior" in bad.stderr


def _frontal_reliefs(G, n=6):
    "The finite `sample_reliefs` of G (NaN: a sample without an opaque foreground), at least half of them."
    r = prior.sample_reliefs(G, n)
    finite = [v for v in r if v == v]
    assert len(finite) >= n // 2, r
    return finite


def test_shipped_prior_is_convex_and_the_reflection_repairs_the_hollow_one():
    if not all((data_dir() / r).exists() for r in (prior.PRIOR_FILE, prior.PRIOR_GPU_FILE)): pytest.skip("the priors are not shipped")
    assert all(r < -0.02 for r in _frontal_reliefs(prior.load_prior()))                    # nose nearer than the rim
    hollow = prior.load_prior(data_dir() / prior.PRIOR_GPU_FILE)
    assert all(r > 0.02 for r in _frontal_reliefs(hollow))                                 # the GPU run's mould
    prior.reflect_depth(hollow.synthesis.fg_nerf)
    assert all(r < -0.02 for r in _frontal_reliefs(hollow))


def test_prior_bad_files(tmp_path):
    with pytest.raises(InputError, match="python -m talking_heads.nerffacespeech.prior"):
        prior.load_prior(tmp_path / "missing.safetensors")
    G = StyleNeRFGenerator("smoke")
    bad = {k: v for k, v in G.state_dict().items() if not k.startswith("mapping.fc1")}
    save_checkpoint(tmp_path / "bad.safetensors", {"G_ema": bad}, G.cfg)
    with pytest.raises(InputError, match="missing keys.*mapping.fc1"):
        prior.load_prior(tmp_path / "bad.safetensors")
    with pytest.raises(InputError, match="no discriminator"):
        prior.load_prior_discriminator(tmp_path / "bad.safetensors")


def test_prior_config_bad_input():
    with pytest.raises(InputError, match="unknown configuration keys"):
        prior.PriorTrainConfig.preset("quick", batchsize=4)
    with pytest.raises(InputError, match="unknown preset"):
        prior.PriorTrainConfig.preset("huge")


def test_lipaintnet_against_smoke_prior(smoke_prior, tmp_path):
    G = prior.load_prior(smoke_prior / "prior.safetensors")
    D = prior.load_prior_discriminator(smoke_prior / "prior.safetensors")
    reg = lp.FaceRegressor(16, width=8, hidden=16)
    tr = lp.train_lipaintnet(lp.LipaintConfig.preset("smoke"), G, D, reg, tmp_path, progress=False)
    assert tr.n_step == 3 and (tmp_path / "lipaintnet.safetensors").exists()
    ev = lp.lipaint_evaluate(tr.net, G, reg, n=2)
    assert all(torch.isfinite(torch.tensor(v)) for v in ev.values())
    ws = G.mapping(torch.randn(2, G.cfg.z_dim))
    out = lp.lipaint_ws(tr.net, ws, torch.zeros(2, 64), G.num_ws_nerf)
    assert torch.equal(out[:, G.num_ws_nerf:], ws[:, G.num_ws_nerf:])


def test_lipaintnet_bad_input(tmp_path):
    net = lp.LipaintNet(8, hidden=16)
    with pytest.raises(InputError, match="beta"):
        net(torch.zeros(2, 8), torch.zeros(2, 63))
    with pytest.raises(InputError, match="w"):
        net(torch.zeros(2, 9), torch.zeros(2, 64))
    with pytest.raises(InputError, match="python -m talking_heads.nerffacespeech.lipaintnet"):
        lp.load_lipaintnet(tmp_path / "missing.safetensors")
    with pytest.raises(InputError, match="expected \\[B, 3, H, W\\]"):
        lp.FaceRegressor(16)(torch.zeros(1, 1, 16, 16))
    with pytest.raises(InputError, match="targets='pca'"):
        lp.LipaintConfig.preset("cpu", targets="pca")


SHIPPED = [prior.PRIOR_FILE, prior.PRIOR_GPU_FILE, lp.REGRESSOR_FILE, lp.LIPAINT_FILE]


@pytest.mark.parametrize("rel", SHIPPED)
def test_shipped_files_listed(rel):
    if not (data_dir() / rel).exists(): pytest.skip(f"{rel} is not shipped")
    assert manifest_problems(files=[rel]) == []


def test_shipped_networks_fit_together():
    if not all((data_dir() / r).exists() for r in SHIPPED): pytest.skip("the trained networks are not shipped")
    G, net, reg = prior.load_prior(), lp.load_lipaintnet(), lp.load_face_regressor()
    assert net.w_dim == G.cfg.w_dim
    with torch.no_grad():
        s = lp.lipaint_samples(G, reg, 2, torch.Generator().manual_seed(0))
        img = G.synthesis(lp.lipaint_ws(net, s["ws"], s["beta_tgt"], G.num_ws_nerf), s["cam"], bg_z=s["bg_z"])["img"]
    assert img.shape == (2, 3, G.cfg.img_resolution, G.cfg.img_resolution) and torch.isfinite(img).all()


def test_shipped_lipaintnet_follows_the_jaw():
    "The shipped LipaintNet opens the prior's mouth with jaw_open and leaves the face outside the mouth as it was."
    if not all((data_dir() / r).exists() for r in SHIPPED): pytest.skip("the trained networks are not shipped")
    G, net, reg = prior.load_prior(), lp.load_lipaintnet(), lp.load_face_regressor()
    with torch.no_grad():
        s = lp.lipaint_samples(G, reg, 8, torch.Generator().manual_seed(11))
        shut, wide = lp.lipaint_jaw_sweep(net, G, reg, s, 0.0), lp.lipaint_jaw_sweep(net, G, reg, s, 1.0)
        keep = lp.outside_mouth(s["lm_src"], s["lm_src"], s["img"].shape[-1], 0.5)
        rest = [((keep * (r["img"] - s["img"]).abs()).sum() / (3 * keep.sum())).item() for r in (shut, wide)]
    assert (wide["jaw_open"] > shut["jaw_open"] + 0.3).all(), (shut["jaw_open"], wide["jaw_open"])   # the estimator reads the jaw asked for
    assert (wide["lip_gap_px"] > shut["lip_gap_px"]).all(), (shut["lip_gap_px"], wide["lip_gap_px"])   # the lips part
    assert max(rest) < 0.1, rest                                 # outside the mouth: under 5% of the range on average
