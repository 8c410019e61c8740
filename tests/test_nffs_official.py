"Official StyleNeRF checkpoints: nothing in the file runs, the weights round-trip, bad files give clear errors."
import pickle
import sys

import pytest
import torch

from talking_heads.core import InputError
from talking_heads.nerffacespeech import official
from talking_heads.nerffacespeech.official import (load_official_discriminator, load_official_generator,
                                                   read_official_pickle, write_synthetic_official_pickle)
from talking_heads.nerffacespeech.stylenerf import StyleNeRFDiscriminator, StyleNeRFGenerator, camera_pose


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    G, D = StyleNeRFGenerator("smoke").eval(), StyleNeRFDiscriminator("smoke").eval()
    with torch.no_grad():
        G.synthesis.fg_nerf.sigma_out.bias.fill_(20.0)       # a visible foreground
        G.mapping.w_avg.normal_()
    return G, D


@pytest.fixture(scope="module")
def pkl(nets, tmp_path_factory):
    return write_synthetic_official_pickle(tmp_path_factory.mktemp("official") / "ffhq_16.pkl", *nets)


def test_nothing_executes(pkl):
    before = set(sys.modules)
    data = read_official_pickle(pkl)
    # the file's module_src, if executed, registers this flag and raises; the official loader would also
    # create `_imported_module_*` modules and import torch_utils / dnnlib
    assert official._EXECUTED_FLAG not in sys.modules
    assert not [m for m in set(sys.modules) - before if m.startswith("_imported_module_")]
    assert "torch_utils" not in sys.modules and "dnnlib" not in sys.modules
    assert data["resolution"] == 16 and set(data["classes"]) == {"G_ema", "G", "D"}


def test_malicious_globals_are_stubbed(tmp_path):
    target = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {target}",))

    bad = tmp_path / "evil.pkl"
    bad.write_bytes(pickle.dumps({"G_ema": Evil()}, protocol=2))
    data = read_official_pickle(bad)          # a dict with G_ema: readable, but the stub holds no tensors
    assert not target.exists()
    assert data["G_ema"] == {} and data["resolution"] is None
    with pytest.raises(InputError, match="no img_resolution"):
        load_official_generator(bad)


def test_converted_generator_reproduces_forward(nets, pkl):
    G0, D0 = nets
    G1, D1 = load_official_generator(pkl, "smoke"), load_official_discriminator(pkl, "smoke")
    z = torch.randn(2, G0.cfg.z_dim, generator=torch.Generator().manual_seed(3))
    cam = camera_pose(torch.tensor([0.2, -0.1]), torch.tensor([1.5, 1.65]))
    bgz = torch.randn(2, G0.cfg.bg_z_dim)
    with torch.no_grad():
        a = G0(z, cam, truncation_psi=0.5, bg_z=bgz)
        b = G1(z, cam, truncation_psi=0.5, bg_z=bgz)
        assert torch.equal(a["img"], b["img"]) and torch.equal(a["feat"], b["feat"])
        assert torch.equal(D0(a["img"]), D1(a["img"]))


def test_other_resolution_is_a_clear_error(pkl):
    with pytest.raises(InputError, match=r"is a 16x16 StyleNeRF checkpoint \(ffhq_16\), but a 512x512 model"):
        load_official_generator(pkl, "ffhq_512")
    with pytest.raises(InputError, match="resolution 16; known official configurations"):
        load_official_generator(pkl)


def test_resolution_from_the_file(pkl, monkeypatch):
    from talking_heads.nerffacespeech.stylenerf import StyleNeRFConfig
    monkeypatch.setitem(StyleNeRFConfig.PRESETS, "ffhq_16", StyleNeRFConfig.PRESETS["smoke"])
    G = load_official_generator(pkl)                     # no preset: the configuration named by the file's resolution
    assert G.cfg.img_resolution == 16 and G.num_ws == 7


def test_wrong_keys_are_listed(nets, tmp_path):
    G0, _ = nets
    bad = write_synthetic_official_pickle(tmp_path / "bad.pkl", G0, drop=("synthesis.fg_nerf.fc_in.bias",),
                                          extra={"mapping.fc9_weight": torch.zeros(3)})
    with pytest.raises(InputError) as e:
        load_official_generator(bad, "smoke")
    msg = str(e.value)
    assert "1 missing (synthesis.fg_nerf.fc_in.bias)" in msg and "1 unexpected (mapping.fc9_weight)" in msg
    with pytest.raises(InputError, match="has no 'D' network"):
        load_official_discriminator(bad, "smoke")


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "x.pkl").write_bytes(b"\x00garbage")
    with pytest.raises(InputError, match="not a readable pickle"):
        read_official_pickle(tmp_path / "x.pkl")
    (tmp_path / "y.pkl").write_bytes(pickle.dumps({"weights": [1, 2]}))
    with pytest.raises(InputError, match="not a StyleNeRF network pickle"):
        read_official_pickle(tmp_path / "y.pkl")
